"""HTML and JSON go out compressed (hub/compression.py), except a response that carries one of our secrets next to
text others wrote (BREACH: debates/breach.py). The citizen page carries no secret: its socket's live_token comes
from …/me, which is never compressed nor stored, and still identifies the socket."""

from __future__ import annotations

import asyncio
import gzip
import json
import re

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from debates import selectors, services
from debates.models import Debate, Invitation
from tests.debates.test_organise_views import create_debate
from tests.factories import make_debate, make_moderator, make_poll, make_question, make_user

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}
HTMX = {"HTTP_HX_REQUEST": "true"}


def text(response) -> str:
    body = response.content
    return (gzip.decompress(body) if response.get("Content-Encoding") == "gzip" else body).decode()


def compressed(response) -> bool:
    return response.get("Content-Encoding") == "gzip"


def busy_debate(questions: int = 40):
    debate = make_debate(premoderation=False)
    for i in range(questions):
        make_question(debate, text=f"Question {i} : quand le bus 12 passera-t-il aussi le dimanche matin ?")
    return debate


def citizen(debate) -> tuple[Client, object]:
    """A browser that took part (asked a question) and the participant it is."""
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")
    browser.post(reverse("ask", args=[debate.code]), {"text": "Et le marché du samedi ?"})
    pid = browser.session[selectors.SESSION_KEY][str(debate.pk)]
    return browser, debate.participants.get(pk=pid)


def page_state(html: str) -> dict:
    return json.loads(re.search(r'<div id="me" hidden>(.*?)</div>', html).group(1))


def uncompressed_with(response, secret: str) -> None:
    """Carries the secret, is big enough to have been compressed, and was not."""
    assert response.status_code == 200, response.status_code
    assert secret in response.content.decode()
    assert len(response.content) >= 200 and not response.has_header("Content-Encoding")


# --- what is compressed ----------------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_big_citizen_page_is_compressed_and_carries_no_live_token():
    debate = busy_debate()
    browser, me = citizen(debate)
    page = browser.get(reverse("citizen", args=[debate.code]), **GZIP)
    assert page.status_code == 200 and compressed(page) and "Accept-Encoding" in page["Vary"]
    html = text(page)
    assert len(page.content) * 4 < len(html.encode())  # a list of questions compresses well
    state = page_state(html)
    token = selectors.live_token(me)
    assert "live_token" not in state and token not in html
    assert state["live_ref"] == selectors.live_ref(token) and state["mine"][0]["text"] == "Et le marché du samedi ?"


@pytest.mark.django_db
def test_without_accept_encoding_nothing_is_compressed():
    debate = busy_debate(5)
    page = Client().get(reverse("citizen", args=[debate.code]))
    assert page.status_code == 200 and not page.has_header("Content-Encoding") and "Accept-Encoding" in page["Vary"]
    assert not Client().get(reverse("api_state", args=[debate.code])).has_header("Content-Encoding")


@pytest.mark.django_db
def test_the_json_state_api_is_compressed():
    debate = busy_debate(15)
    response = Client().get(reverse("api_state", args=[debate.code]), **GZIP)
    assert compressed(response) and response["Content-Type"] == "application/json"
    assert len(json.loads(text(response))["questions"]) == 15


@pytest.mark.django_db
def test_a_citizen_actions_htmx_answer_carries_its_state_without_the_token():
    debate = busy_debate(3)
    browser, me = citizen(debate)
    poll = make_poll(debate)
    answers = [
        browser.post(reverse("ask", args=[debate.code]), {"text": "Encore une question publique ?"}, **HTMX, **GZIP),
        browser.post(reverse("rename", args=[debate.code]), {"display_name": "Nour"}, **HTMX, **GZIP),
        # a refusal answers with the citizen's state too (here: no such option)
        browser.post(reverse("vote", args=[debate.code, poll.pk]), {"option": "999999"}, **HTMX, **GZIP),
    ]
    token = selectors.live_token(me)
    for answer in answers:
        body = text(answer)
        assert 'id="me"' in body and token not in body and "live_token" not in body
        assert selectors.live_ref(token) in body


@pytest.mark.django_db
def test_small_answers_and_other_types_go_as_they_are():
    debate = make_debate()
    moderator = Client()
    moderator.force_login(make_moderator(debate))
    export = moderator.get(reverse("export", args=[debate.code, "csv"]), **GZIP)
    assert export.status_code == 200 and not export.has_header("Content-Encoding")
    assert not Client().get("/healthz", **GZIP).has_header("Content-Encoding")


# --- what is not: the responses that carry a secret --------------------------------------------------------------------
@pytest.mark.django_db
def test_me_carries_the_live_token_uncompressed_and_never_stored():
    debate = busy_debate(3)
    browser, me = citizen(debate)
    answer = browser.get(reverse("me", args=[debate.code]), **GZIP)
    state = json.loads(answer.content)
    uncompressed_with(answer, state["live_token"])
    assert answer["Cache-Control"] == "no-store"
    assert selectors.participant_for_live_token(state["live_token"], debate.pk) == me.pk
    assert state["live_ref"] == selectors.live_ref(state["live_token"])


@pytest.mark.django_db
def test_the_console_carries_no_secret_and_is_compressed():
    debate = busy_debate(40)
    moderator = Client()
    moderator.force_login(make_moderator(debate))
    page = moderator.get(reverse("moderate", args=[debate.code]), **GZIP)
    assert page.status_code == 200 and compressed(page)
    html = text(page)
    assert debate.screen_token not in html and reverse("moderate_screenlink", args=[debate.code]) in html
    assert len(page.content) * 4 < len(html.encode())


@pytest.mark.django_db
def test_the_consoles_screen_link_its_answers_and_the_screen_are_never_compressed():
    debate = busy_debate(10)
    moderator = Client()
    moderator.force_login(make_moderator(debate))
    uncompressed_with(
        moderator.get(reverse("moderate_screenlink", args=[debate.code]), **HTMX, **GZIP), debate.screen_token
    )
    regenerated = moderator.post(
        reverse("moderate_act", args=[debate.code]), {"action": "regenerate_screen"}, **HTMX, **GZIP
    )
    debate.refresh_from_db()
    uncompressed_with(regenerated, debate.screen_token)
    screen = Client().get(reverse("screen", args=[debate.code, debate.screen_token]), **GZIP)
    uncompressed_with(screen, debate.screen_token)


@pytest.mark.django_db
def test_the_organisers_secret_links_are_never_compressed(client):
    organiser = make_user()
    organiser.user_permissions.add(Permission.objects.get(codename="organise_debates"))
    client.force_login(organiser)
    create_debate(client)  # its administrator, as organisers are
    debate = Debate.objects.get()
    sheet = client.get(reverse("organise_screen_sheet", args=[debate.code]), **GZIP)
    uncompressed_with(sheet, debate.screen_token)
    staff = client.post(
        reverse("organise_staff", args=[debate.code]), {"action": "invite", "role": "moderator"}, follow=True, **GZIP
    )
    link = re.search(r'value="(http://testserver/invite/[^"]+/)"', staff.content.decode()).group(1)
    uncompressed_with(staff, link)
    assert Invitation.objects.count() == 1
    token = link.rstrip("/").rsplit("/", 1)[1]
    uncompressed_with(Client().get(link, **GZIP), token)  # in its sign-in link


@pytest.mark.django_db
def test_recovery_codes_and_voter_codes_are_never_compressed():
    debate = busy_debate(3)
    browser, _me = citizen(debate)
    for extra in (HTMX, {}):
        shown = browser.post(reverse("recovery_code", args=[debate.code]), **extra, **GZIP)
        code = re.search(r'class="recovery-code" translate="no">([0-9A-Z-]+)<', shown.content.decode()).group(1)
        uncompressed_with(shown, code)
    moderator = Client()
    moderator.force_login(make_moderator(debate))
    sheet = moderator.post(
        reverse("votes_act", args=[debate.code]), {"action": "generate", "count": "30", "format": "sheet"}, **GZIP
    )
    first = re.search(r'class="vc">([0-9A-Z]{5}-[0-9A-Z]{5})<', sheet.content.decode()).group(1)
    uncompressed_with(sheet, first)


@pytest.mark.django_db
def test_no_compressed_answer_anywhere_holds_a_secret():
    """A sweep of the pages and answers citizens and moderators get: whatever was compressed holds neither a
    citizen's live_token nor the screen's secret."""
    debate = busy_debate(10)
    browser, me = citizen(debate)
    poll = make_poll(debate)
    moderator = Client()
    moderator.force_login(make_moderator(debate))
    code = debate.code
    answers = [
        browser.get(reverse("citizen", args=[code]), **GZIP),
        browser.get(reverse("citizen", args=[code]), {"order": "recent"}, **GZIP),
        browser.get(reverse("questions_window", args=[code]), {"order": "recent"}, **HTMX, **GZIP),
        browser.get(reverse("api_state", args=[code]), **GZIP),
        browser.post(reverse("vote", args=[code, poll.pk]), {"option": poll.options.first().pk}, **HTMX, **GZIP),
        browser.post(reverse("ask", args=[code]), {"text": "Une autre question ?"}, **HTMX, **GZIP),
        browser.get(reverse("me", args=[code]), **GZIP),
        moderator.get(reverse("moderate", args=[code]), **GZIP),
        moderator.get(reverse("official_view", args=[code]), **GZIP),
        moderator.get(reverse("moderation_log", args=[code]), **GZIP),
        moderator.post(reverse("moderate_act", args=[code]), {"action": "star", "question": "0"}, **HTMX, **GZIP),
        moderator.get(reverse("organise_preview", args=[code]), **GZIP),
    ]
    token = selectors.live_token(me)
    assert sum(compressed(a) for a in answers) >= 5
    for answer in answers:
        if compressed(answer):
            body = text(answer)
            assert token not in body and debate.screen_token not in body


# --- the socket: identified with the token from …/me; the hot path ----------------------------------------------------
def sync(fn, *args, **kwargs):
    return database_sync_to_async(fn)(*args, **kwargs)


@pytest.mark.django_db(transaction=True)
async def test_the_token_from_me_identifies_the_socket():
    from tests.live.test_consumers import connect, drain, receive_until

    debate = await sync(make_debate, premoderation=True)
    mod = await sync(make_moderator, debate)
    browser, me = await sync(citizen, debate)
    token = (await sync(browser.get, reverse("me", args=[debate.code]))).json()["live_token"]
    question = await sync(lambda: me.questions.get())
    sock = await connect(debate.code)
    await drain(sock)
    await sock.send_to(text_data=json.dumps({"type": "identify", "token": token}))
    await asyncio.sleep(0.1)
    await sync(services.question_reject, question=question, actor=mod, reason="Hors sujet")
    await receive_until(sock, 'id="me-stale"')
    await sock.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_a_hot_vote_answers_a_line_too_small_to_compress():
    from django.conf import settings

    from hub import hot_path
    from tests.debates.test_hot_path import post

    assert hot_path.unservable(settings.MIDDLEWARE, settings.SESSION_ENGINE) is None  # the compression hook is safe
    debate = await sync(make_debate)
    poll = await sync(make_poll, debate)
    option = await sync(lambda: poll.options.first().pk)
    status, headers, body, _jar = await post(
        f"/d/{debate.code}/poll/{poll.pk}/vote", f"option={option}", extra=((b"accept-encoding", b"gzip"),)
    )
    assert status == 200 and "Your vote is recorded" in body and len(body.encode()) < 200
    assert "content-encoding" not in headers
