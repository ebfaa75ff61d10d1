"""The widget table's contract: every widget, for every audience, renders one element with the root id the table
names, an out-of-band swap and a version; audiences without a view get nothing; pages carry the same roots."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from debates import fragments, services
from debates.models import Poll
from live import groups
from tests.factories import make_debate, make_moderator, make_participant, make_poll, make_question

pytestmark = pytest.mark.django_db

ROOT = re.compile(r"^\s*<(?P<tag>[a-z]+)\b(?P<attrs>[^>]*)>", re.S)


def _attr(attrs: str, name: str) -> str | None:
    found = re.search(rf'\s{name}="([^"]*)"', attrs)
    return found.group(1) if found else None


@pytest.fixture
def debate():
    debate = make_debate()
    moderator = make_moderator(debate)
    poll = make_poll(debate, actor=moderator)
    participant = make_participant(debate, "Ana")
    services.argument_post(poll=poll, participant=participant, side="for", text="Un bon argument.")
    make_question(debate, actor=moderator)
    # An official citizen proposal, for the proposal widgets (debates/fragments_consult.py).
    services.consultation_update(debate=debate, actor=moderator, proposals_enabled=True, proposal_threshold=1)
    proposal = services.proposal_submit(debate=debate, participant=participant, title="Des bancs", text="Au parc.")
    services.proposal_support(proposal=proposal, participant=participant)
    return debate


def _keys(debate) -> list[tuple[str, str | None]]:
    poll = Poll.objects.filter(debate=debate, proposal__isnull=True).first()
    ids = {"proposal": debate.proposals.get().pk, "proposal_news": debate.proposals.get().pk}
    return [
        (
            f"{key}:{ids.get(key, poll.pk)}" if widget.per_object else key,
            str(ids.get(key, poll.pk)) if widget.per_object else None,
        )
        for key, widget in fragments.WIDGETS.items()
    ]


def test_every_widget_renders_its_root_with_an_oob_swap_for_every_audience(debate):
    for key, object_id in _keys(debate):
        widget = fragments.WIDGETS[key.partition(":")[0]]
        frames = fragments.render(debate.pk, [key], groups.AUDIENCES, 3)
        for audience in groups.AUDIENCES:
            role = audience.partition(".")[0]
            rendered = frames[audience]
            view = widget.views.get(role)
            if view is None:
                assert rendered == [], (key, audience)
                continue
            assert len(rendered) == 1, (key, audience)
            got_key, version, html = rendered[0]
            match = ROOT.match(html)
            assert got_key == key and match, (key, audience, html[:200])
            assert _attr(match["attrs"], "id") == view.root.format(id=object_id), (key, audience)
            assert _attr(match["attrs"], "hx-swap-oob") == "true", (key, audience)
            if _attr(match["attrs"], "data-item"):  # an item's fragment carries its row version (per-item updates)
                assert _attr(match["attrs"], "data-v").isdigit(), (key, audience)
            else:
                assert _attr(match["attrs"], "data-v") == str(version), (key, audience)


def test_the_table_has_one_row_per_key_and_views_only_for_known_roles():
    assert set(fragments.SNAPSHOT_KEYS) <= set(fragments.WIDGETS)
    for key, widget in fragments.WIDGETS.items():
        assert widget.key == key
        assert set(widget.views) <= set(groups.ROLES), key
        for view in widget.views.values():
            assert ("{id}" in view.root) <= widget.per_object, key


def test_pages_carry_the_roots_of_their_snapshot_widgets(debate, client):
    moderator = make_moderator(debate)
    console = Client()
    console.force_login(moderator)
    pages = {
        "public": client.get(f"/d/{debate.code}/").content.decode(),
        "screen": client.get(f"/d/{debate.code}/screen/{debate.screen_token}/").content.decode(),
        "moderators": console.get(f"/d/{debate.code}/moderate/").content.decode(),
    }
    for key in fragments.SNAPSHOT_KEYS:
        for role, view in fragments.WIDGETS[key].views.items():
            assert f'id="{view.root}"' in pages[role], (key, role)


def test_a_moderation_response_renders_what_the_service_announced(debate, client):
    """The console's answer carries the widgets the service announced, no list of its own (mute: queue, log)."""
    moderator = make_moderator(debate)
    client.force_login(moderator)
    participant = make_participant(debate, "Bob")
    response = client.post(
        f"/d/{debate.code}/moderate/act", {"action": "mute", "participant": participant.pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="mod-queue"' in html and 'id="mod-log"' in html
    assert 'id="mod-approved"' not in html  # the old handler's own tuple also sent the approved list


def test_an_answered_card_pushed_live_names_its_official(broadcasts):
    """Item fragments read the officials' titles only when a card shows an answer: the answered one does."""
    from tests.factories import make_official

    debate = make_debate(premoderation=False)
    official = make_official(debate, title="Hélène Durand, maire")
    q = make_question(debate)
    broadcasts.clear()
    services.answer_post(question=q, actor=official, text="La concertation ouvre en septembre.")
    assert "Hélène Durand, maire" in broadcasts.html()
