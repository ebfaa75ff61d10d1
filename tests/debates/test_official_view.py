"""The officials' own view and the moderators' private notes to them (item 9 of the town-hall issue)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from debates import services
from debates.errors import ServiceError
from debates.models import ModerationLog, StaffNote
from tests.conftest import broadcast_html
from tests.factories import make_debate, make_moderator, make_official, make_question

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def test_an_official_only_role_gets_the_official_view_without_moderation_buttons(client):
    debate = make_debate()
    moderator, official = make_moderator(debate), make_official(debate, title="Maire")
    low = make_question(debate, text="Et les bancs ?", actor=moderator)
    high = make_question(debate, text="Et le tram ?", actor=moderator)
    from tests.factories import make_participant

    for _ in range(3):
        services.question_upvote(question=high, participant=make_participant(debate))
    services.question_put_on_screen(question=high, debate=debate, actor=moderator)
    client.force_login(official)
    html = client.get(reverse("moderate", args=[debate.code]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "official-view" in html and "is-moderator" not in html
    assert f'id="answer-onscreen-{high.pk}"' in html  # the big answer box, for the question on screen
    assert html.index("Et le tram") < html.index("Et les bancs")  # by support
    # The queue, the screen control, the polls are not on this page; the few moderator buttons inside shared
    # widgets (clear the screen, star, withdraw) are .mod-only, hidden without the moderator role.
    for action in ('value="approve"', 'id="mod-screenctl"', 'id="mod-queue"', 'id="mod-polls"'):
        assert action not in html, action
    # …and the server refuses moderation from an official anyway.
    r = client.post(reverse("moderate_act", args=[debate.code]), {"action": "reject", "question": low.pk}, **HX)
    assert r.status_code == 403


def test_notes_reach_the_staff_only_and_are_logged(broadcasts):
    debate = make_debate()
    moderator = make_moderator(debate)
    services.staff_note_post(debate=debate, actor=moderator, text="Deux minutes")
    assert "Deux minutes" in broadcast_html(broadcasts, "moderators.fr")
    for audience in ("public.fr", "public.en", "screen.fr", "screen.en"):
        assert "Deux minutes" not in broadcast_html(broadcasts, audience)
    assert ModerationLog.objects.filter(debate=debate, action="note_sent").count() == 1
    with pytest.raises(ServiceError):
        services.staff_note_post(debate=debate, actor=moderator, text="x" * 141)
    with pytest.raises(ServiceError):
        services.staff_note_post(debate=debate, actor=moderator, text="   ")
    with pytest.raises(ServiceError) as e:
        services.staff_note_post(debate=debate, actor=make_official(debate), text="Je réponds")
    assert e.value.status == 403
    assert StaffNote.objects.count() == 1


def test_the_console_sends_a_note_and_the_official_view_shows_it(client):
    debate = make_debate()
    moderator, official = make_moderator(debate), make_official(debate)
    client.force_login(moderator)
    r = client.post(
        reverse("moderate_act", args=[debate.code]), {"action": "note", "text": "Next: the tram question"}, **HX
    )
    assert r.status_code == 200 and 'id="mod-notes"' in r.content.decode()
    client.force_login(official)
    assert "Next: the tram question" in client.get(reverse("official_view", args=[debate.code])).content.decode()
