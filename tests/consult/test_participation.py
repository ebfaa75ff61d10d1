"""A participant's cookie lasts as long as the consultation (and a month after its close), and a recovery code, shown
once, takes their participation to another device (issue 15, item 2)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone

from debates import limits, services
from debates.models import Participant, Vote
from tests.consult.factories import make_consultation
from tests.factories import make_debate, make_moderator, make_poll

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def consultation_closing_in(days: int):
    debate = make_consultation()
    now = timezone.now()
    services.consultation_set_dates(
        debate=debate,
        actor=make_moderator(debate),
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=days),
        phases=[],
    )
    return debate


def voted(debate, client: Client | None = None) -> tuple[Client, object]:
    poll = make_poll(debate)
    client = client or Client(HTTP_ACCEPT_LANGUAGE="en")
    r = client.post(f"/d/{debate.code}/poll/{poll.pk}/vote", {"option": poll.options.first().pk}, **HTMX)
    assert r.status_code == 200, r.content
    return client, poll


def cookie_days(client: Client) -> float:
    return int(client.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) / 86400


def test_the_cookie_of_a_three_month_consultation_lasts_until_a_month_after_its_close():
    debate = consultation_closing_in(90)
    client, poll = voted(debate)
    assert 119 < cookie_days(client) <= 120
    # 45 days later (past Django's 30-day signature check) the browser is still the same participant.
    with time_machine.travel(timezone.now() + timedelta(days=45)):
        page = client.get(f"/d/{debate.code}/", HTTP_ACCEPT_LANGUAGE="en")
        assert page.status_code == 200
        assert Participant.objects.filter(debate=debate).count() == 1
        again = client.post(f"/d/{debate.code}/poll/{poll.pk}/vote", {"option": poll.options.last().pk}, **HTMX)
        assert again.status_code == 200
        assert Participant.objects.filter(debate=debate).count() == 1  # no second participant
        assert Vote.objects.filter(poll=poll).count() == 1
    # Past its own date (the close, then a month) the session is no longer honoured.
    from hub.sessions import SessionStore

    signed = client.cookies[settings.SESSION_COOKIE_NAME].value
    with time_machine.travel(timezone.now() + timedelta(days=119)):
        assert SessionStore(session_key=signed).load().get("participants")
    with time_machine.travel(timezone.now() + timedelta(days=121)):
        assert SessionStore(session_key=signed).load() == {}


def test_an_evening_debate_keeps_the_ordinary_cookie():
    debate = make_debate()
    client, _poll = voted(debate)
    assert round(cookie_days(client)) == settings.SESSION_COOKIE_AGE / 86400
    with time_machine.travel(timezone.now() + timedelta(days=31)):  # Django's own check, unchanged
        voted(debate, client)
        assert Participant.objects.filter(debate=debate).count() == 2


def test_a_recovery_code_takes_the_participation_to_another_device():
    debate = consultation_closing_in(60)
    phone, poll = voted(debate)
    me = Participant.objects.get(debate=debate)
    # A newcomer has nothing to recover yet.
    stranger = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert stranger.post(f"/d/{debate.code}/recovery", **HTMX).status_code == 400
    page = phone.get(f"/d/{debate.code}/").content.decode()
    assert "Get a recovery code" in page and "Recover my participation" in page
    shown = phone.post(f"/d/{debate.code}/recovery", **HTMX)
    assert shown.status_code == 200 and shown["Cache-Control"] == "no-store"
    import re

    code = re.search(r'class="recovery-code" translate="no">([0-9A-Z]{5}-[0-9A-Z]{5})<', shown.content.decode()).group(
        1
    )
    me.refresh_from_db()
    assert me.recovery_digest and code.replace("-", "") not in me.recovery_digest  # only its keyed hash is kept
    laptop = Client(HTTP_ACCEPT_LANGUAGE="en")
    welcome = laptop.post(f"/d/{debate.code}/recover", {"recovery": code.lower().replace("-", " ")}, **HTMX)
    assert welcome.status_code == 200 and "Welcome back" in welcome.content.decode()
    # The laptop now votes as the same participant: their one vote changes, no second voter.
    laptop.post(f"/d/{debate.code}/poll/{poll.pk}/vote", {"option": poll.options.last().pk}, **HTMX)
    assert Participant.objects.filter(debate=debate).count() == 1
    assert Vote.objects.get(poll=poll).option_id == poll.options.last().pk
    assert 89 < cookie_days(laptop) <= 90  # and keeps it until a month after the close
    # A new code cancels the old one.
    phone.post(f"/d/{debate.code}/recovery", **HTMX)
    refused = Client(HTTP_ACCEPT_LANGUAGE="en").post(f"/d/{debate.code}/recover", {"recovery": code}, **HTMX)
    assert refused.status_code == 400 and "not valid" in refused.content.decode()
    # Another debate's participant cannot be recovered here.
    other = consultation_closing_in(60)
    assert Client().post(f"/d/{other.code}/recover", {"recovery": code}, **HTMX).status_code == 400


def test_wrong_recovery_codes_are_rate_limited_per_address():
    debate = consultation_closing_in(60)
    phone, _poll = voted(debate)
    shown = phone.post(f"/d/{debate.code}/recovery", **HTMX).content.decode()
    import re

    code = re.search(r">([0-9A-Z]{5}-[0-9A-Z]{5})<", shown).group(1)
    guesser = Client(HTTP_ACCEPT_LANGUAGE="en")
    allowed = limits.rule("recovery_guess").limit
    codes = [
        guesser.post(f"/d/{debate.code}/recover", {"recovery": "ZZZZZ-ZZZZZ"}, **HTMX).status_code
        for _ in range(allowed)
    ]
    assert codes == [400] * allowed
    assert (
        guesser.post(f"/d/{debate.code}/recover", {"recovery": code}, **HTMX).status_code == 429
    )  # even the right one
    elsewhere = Client(REMOTE_ADDR="10.3.3.3")
    assert elsewhere.post(f"/d/{debate.code}/recover", {"recovery": code}, **HTMX).status_code == 200


def test_a_plain_form_post_shows_the_code_on_a_page():
    debate = consultation_closing_in(60)
    phone, _poll = voted(debate)
    page = phone.post(f"/d/{debate.code}/recovery")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert "Your recovery code" in page.content.decode() and "<html" in page.content.decode()
