"""The moderation log page and its CSV with every action the console (and the settings page) can log: each entry
renders with its label in both languages, never a 500 (a merge used to break the page: `upvotes` is also the
name of a reverse relation of Question)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from django.utils.html import escape

from debates import labels, services
from debates.models import ModerationLog, Poll
from tests.factories import make_debate, make_moderator, make_official, make_participant, make_question, make_user

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def play_every_action(client, debate, moderator, official):
    """Every action of the console's endpoint, through the endpoint, as the console sends it."""
    url = reverse("moderate_act", args=[debate.code])
    p1, p2 = make_participant(debate, "Awa"), make_participant(debate, "Bruno")
    q1 = make_question(debate, participant=p1, text="Et le tram ?", approve=False)
    q2 = make_question(debate, participant=p2, text="Quand le tram ?", approve=False)
    q3 = make_question(debate, participant=p2, text="Et les pistes cyclables ?", approve=False)
    q4 = make_question(debate, participant=p1, text="Question hors sujet", approve=False)

    def act(user, **data):
        client.force_login(user)
        r = client.post(url, data, **HX)
        assert r.status_code == 200, (data, r.content.decode()[:300])

    act(moderator, action="approve", question=q1.pk)
    act(moderator, action="undo", undo="approve", question=q1.pk)
    act(moderator, action="approve", question=q1.pk)
    act(moderator, action="merge", question=q2.pk, into=q1.pk)
    act(moderator, action="reject", question=q4.pk, reason="Hors sujet")
    act(moderator, action="edit", question=q3.pk, text="Et les pistes cyclables, rue Garibaldi ?")
    act(moderator, action="star", question=q3.pk)
    act(moderator, action="unstar", question=q3.pk)
    act(moderator, action="approve", question=q3.pk)
    act(moderator, action="onscreen", question=q3.pk)
    act(moderator, action="answered", question=q3.pk)
    act(official, action="answer", question=q3.pk, text="En 2027.")
    act(moderator, action="clear_screen")
    act(moderator, action="mute", participant=p2.pk)
    act(moderator, action="unmute", participant=p2.pk)
    act(moderator, action="poll_create", text="Piétonniser ?", kind="yna", results="hidden", options="")
    poll = Poll.objects.get(debate=debate)
    act(moderator, action="poll_open", poll=poll.pk)
    arg = services.argument_post(poll=poll, participant=p1, side="for", text="Plus calme")
    act(moderator, action="arg_hide", argument=arg.pk)
    act(moderator, action="arg_restore", argument=arg.pk)
    act(moderator, action="screen", mode="poll", poll=poll.pk)
    act(moderator, action="screen_reveal")
    act(moderator, action="screen", mode="welcome")
    act(moderator, action="poll_close", poll=poll.pk)
    for clock_action in ("start", "pause", "resume", "extend", "next", "reset"):
        act(moderator, action="clock", clock_action=clock_action, seconds="60")
    act(moderator, action="regenerate_screen")
    act(moderator, action="note", text="Deux minutes")
    services.debate_update_settings(debate=debate, actor=moderator, premoderation=False, trending_threshold=3)
    admin = make_user(is_superuser=True, is_staff=True)
    role = services.role_assign(
        debate=debate, actor=admin, username=make_user().username, role="official", title="Adjoint"
    )
    services.role_remove(role=role, actor=admin)
    act(moderator, action="status", status="closed")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_log_page_and_csv_with_every_action(client, language):
    debate = make_debate()
    moderator, official = make_moderator(debate), make_official(debate)
    play_every_action(client, debate, moderator, official)
    logged = set(ModerationLog.objects.filter(debate=debate).values_list("action", flat=True))
    # Every action the code can log is in this debate's log (a new one must be added above and to the labels).
    # The organisers' pages log their own actions (creation, agenda, archive, invitations): the log page shows them
    # through the same labels, and tests/organising plays them.
    organising = {
        "agenda_changed",
        "debate_archived",
        "debate_created",
        "debate_duplicated",
        "debate_unarchived",
        "invitation_accepted",
        "invitation_created",
        "invitation_renewed",
        "invitation_revoked",
    }
    missing = set(labels.ACTION_LABELS) - {"argument_held"} - organising - logged
    assert not missing, sorted(missing)
    client.force_login(moderator)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    page = client.get(reverse("moderation_log", args=[debate.code]))
    assert page.status_code == 200
    html = page.content.decode()
    from django.utils import translation

    with translation.override(language):
        for action in logged:
            assert escape(str(labels.ACTION_LABELS[action])) in html, action
    assert "merged into" in html or "fusionnée avec" in html
    for action in logged:  # each filter works too
        assert client.get(reverse("moderation_log", args=[debate.code]), {"action": action}).status_code == 200
    response = client.get(reverse("moderation_log_csv", args=[debate.code]))
    assert response.status_code == 200
    rows = list(
        csv.reader(
            io.StringIO(
                b"".join(response.streaming_content).decode("utf-8-sig")
                if response.streaming
                else response.content.decode("utf-8-sig")
            )
        )
    )
    assert {r[2] for r in rows[1:]} == logged


def test_a_reverse_relation_key_is_labelled_not_crashed():
    assert labels.log_value_label("question", "upvotes", 3) == "3"
    assert labels.log_value_label("question", "merged", 3) == "3"
    assert labels.log_value_label("question", "merged_into", 7) == "#7"
    assert labels.log_key_label("question", "answers").endswith(":")
