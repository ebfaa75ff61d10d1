"""Votes, upvotes and supports sent over the citizen page's websocket (`write` frames): stored in the same batches
as the HTTP views, answered on the socket, refused or sent back to HTTP where only the view can answer."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from django.test import Client, override_settings

from debates import selectors, services
from debates.models import ArgumentUpvote, Participant, Poll, QuestionUpvote, Vote
from tests.factories import make_debate, make_moderator, make_participant, make_poll, make_question
from tests.live.test_consumers import _next_close, connect, drain, receive_until, sync

pytestmark = pytest.mark.django_db(transaction=True)


def key() -> str:
    return uuid.uuid4().hex


async def write(comm, n: int, **fields) -> dict:
    """Send a write frame and return its answer (broadcasts arriving meanwhile are skipped)."""
    await comm.send_to(text_data=json.dumps({"type": "write", "n": n, **fields}))
    text, _seen = await receive_until(comm, lambda t: t.startswith('{"type": "answer"'), timeout=5)
    answer = json.loads(text)
    assert answer["n"] == n
    return answer


async def test_a_newcomer_votes_over_the_socket_under_their_client_key_and_the_socket_becomes_them():
    debate = await sync(make_debate)
    poll = await sync(make_poll, debate)
    yes, no = await sync(lambda: list(poll.options.values_list("pk", flat=True))[:2])
    comm = await connect(debate.code, lang="fr")
    await drain(comm)
    browser = key()

    answer = await write(comm, 1, action="vote", target=poll.pk, option=yes, key=browser)
    assert answer["status"] == 200 and 'id="flash"' in answer["html"] and "Votre vote est enregistré" in answer["html"]
    participant = await sync(Participant.objects.get, debate=debate, client_key=browser)
    assert answer["token"] == await sync(selectors.live_token, participant)
    assert answer["ref"] == selectors.live_ref(answer["token"]) and "participant" not in answer
    await receive_until(comm, f'id="poll-{poll.pk}-results"')  # the count everyone sees moved

    # The socket is that participant now: a change of mind needs no key, and makes nobody new.
    answer = await write(comm, 2, action="vote", target=poll.pk, option=no)
    assert answer["status"] == 200
    votes = await sync(lambda: list(Vote.objects.filter(poll=poll).values_list("participant_id", "option_id")))
    assert votes == [(participant.pk, no)]
    assert await sync(Participant.objects.filter(debate=debate).count) == 1
    await comm.disconnect()


async def test_an_identified_socket_upvotes_and_supports_as_its_participant():
    debate = await sync(make_debate, premoderation=False)
    citizen = await sync(make_participant, debate)
    question = await sync(make_question, debate, text="Et les pistes cyclables ?")
    poll = await sync(make_poll, debate)
    author = await sync(make_participant, debate)
    argument = await sync(services.argument_post, poll=poll, participant=author, side="for", text="Moins de bruit.")
    people = await sync(Participant.objects.filter(debate=debate).count)
    comm = await connect(debate.code, lang="en")
    await drain(comm)
    await comm.send_to(text_data=json.dumps({"type": "identify", "token": await sync(selectors.live_token, citizen)}))

    answer = await write(comm, 7, action="upvote", target=question.pk, key=key())  # the key is not who they are
    assert answer == {"type": "answer", "n": 7, "status": 200, "html": answer["html"]}
    assert "Upvote counted." in answer["html"]
    assert await sync(lambda: list(QuestionUpvote.objects.values_list("participant_id", flat=True))) == [citizen.pk]
    answer = await write(comm, 9, action="support", target=argument.pk)
    assert answer["status"] == 200 and "Support counted." in answer["html"]
    assert await sync(lambda: list(ArgumentUpvote.objects.values_list("participant_id", flat=True))) == [citizen.pk]
    assert await sync(Participant.objects.filter(debate=debate).count) == people

    again = await write(comm, 8, action="upvote", target=question.pk)  # refused as over HTTP, in the page's language
    assert again["status"] >= 400 and 'class="flash error"' in again["html"]
    assert await sync(QuestionUpvote.objects.count) == 1
    await comm.disconnect()


async def test_what_only_the_http_view_can_answer_is_sent_back_to_it_and_nothing_is_stored():
    debate, elsewhere = await sync(make_debate), await sync(make_debate)
    poll = await sync(make_poll, debate)
    foreign = await sync(make_poll, elsewhere)
    option = await sync(lambda: poll.options.first().pk)
    comm = await connect(debate.code)
    await drain(comm)
    # No key and no identity: only the session (the HTTP request's cookie) knows who this is.
    assert (await write(comm, 1, action="vote", target=poll.pk, option=option))["retry"] is True
    # A poll of another debate: the view's 404.
    assert (await write(comm, 2, action="vote", target=foreign.pk, option=option, key=key()))["retry"] is True
    with override_settings(LIVE_SOCKET_WRITES=False):
        assert (await write(comm, 3, action="vote", target=poll.pk, option=option, key=key()))["retry"] is True
    assert await sync(Vote.objects.count) == 0
    assert await sync(Participant.objects.filter(debate=debate).count) == 0
    await comm.disconnect()


async def test_a_refused_write_answers_the_reason_and_stores_nothing():
    debate = await sync(make_debate)
    poll = await sync(make_poll, debate)
    option = await sync(lambda: poll.options.first().pk)
    await sync(services.poll_close, poll=poll, actor=await sync(make_moderator, debate))
    assert await sync(lambda: Poll.objects.get(pk=poll.pk).status) == Poll.Status.CLOSED
    comm = await connect(debate.code, lang="fr")
    await drain(comm)
    answer = await write(comm, 1, action="vote", target=poll.pk, option=option, key=key())
    assert answer["status"] == 409 and "token" not in answer
    assert "Ce sondage est clôturé" in answer["html"] and 'class="flash error"' in answer["html"]
    assert await sync(Vote.objects.count) == 0
    await comm.disconnect()


async def test_malformed_write_frames_are_refused_like_any_bad_frame():
    debate = await sync(make_debate)
    poll = await sync(make_poll, debate)
    comm = await connect(debate.code)
    await drain(comm)
    bad = [
        {"type": "write", "n": 1, "action": "delete", "target": poll.pk},
        {"type": "write", "n": "1", "action": "vote", "target": poll.pk},
        {"type": "write", "n": 1, "action": "vote", "target": -3},
        {"type": "write", "n": 1, "action": "vote", "target": True},
        {"type": "write", "action": "vote", "target": poll.pk},
    ]
    for i in range(20):
        await comm.send_to(text_data=json.dumps(bad[i % len(bad)]))
    assert await _next_close(comm) == 4400
    assert await sync(Vote.objects.count) == 0


async def test_the_screen_and_the_console_take_no_writes():
    debate = await sync(make_debate)
    poll = await sync(make_poll, debate)
    option = await sync(lambda: poll.options.first().pk)
    screen = await connect(debate.code, f"screen/{debate.screen_token}/")
    await drain(screen)
    for _ in range(20):
        await screen.send_to(
            text_data=json.dumps({"type": "write", "n": 1, "action": "vote", "target": poll.pk, "option": option})
        )
    assert await _next_close(screen) == 4400
    assert await sync(Vote.objects.count) == 0


def test_the_page_and_me_give_the_session_the_participant_a_socket_write_made_by_the_key_cookie():
    debate = make_debate()
    browser = key()
    made = Participant.objects.create(debate=debate, client_key=browser)
    client = Client()
    assert "live_token" not in client.get(f"/d/{debate.code}/me").json()  # no key: not them
    client.cookies["client_key"] = browser  # live.js keeps the key in a cookie too
    page = client.get(f"/d/{debate.code}/")
    assert page.status_code == 200 and selectors.live_ref(selectors.live_token(made)).encode() in page.content
    del client.cookies["client_key"]
    # The session cookie holds them now: …/me knows them without the key.
    assert client.get(f"/d/{debate.code}/me").json()["live_token"] == selectors.live_token(made)
    other = Client()
    assert "live_token" not in other.get(f"/d/{debate.code}/me", headers={"X-Client-Key": key()}).json()
    assert "live_token" in other.get(f"/d/{debate.code}/me", headers={"X-Client-Key": browser}).json()


def test_a_session_that_holds_another_participant_keeps_them_whatever_the_key():
    debate = make_debate()
    browser = key()
    Participant.objects.create(debate=debate, client_key=browser)
    client = Client()
    client.cookies["client_key"] = browser
    client.post(f"/d/{debate.code}/name", {"display_name": "Ana"}, HTTP_HX_REQUEST="true")  # the key's participant
    recovered = make_participant(debate, "Bea")  # a recovery code made this session someone else
    session = client.session
    session[selectors.SESSION_KEY] = {str(debate.pk): recovered.pk}
    session.save()
    client.cookies[settings_session_cookie()] = session.session_key
    assert client.get(f"/d/{debate.code}/me").json()["name"] == "Bea"


def settings_session_cookie() -> str:
    from django.conf import settings

    return settings.SESSION_COOKIE_NAME


async def test_writes_of_many_sockets_at_once_are_all_stored_once():
    debate = await sync(make_debate)
    poll = await sync(make_poll, debate)
    option = await sync(lambda: poll.options.first().pk)
    comms = [await connect(debate.code) for _ in range(30)]
    await asyncio.gather(*(drain(c) for c in comms))
    answers = await asyncio.gather(
        *(write(c, i, action="vote", target=poll.pk, option=option, key=key()) for i, c in enumerate(comms))
    )
    assert [a["status"] for a in answers] == [200] * 30
    assert len({a["token"] for a in answers}) == 30
    assert await sync(Vote.objects.filter(poll=poll).count) == 30
    for c in comms:
        await c.disconnect()


async def test_newcomers_over_sockets_count_under_the_participants_per_address_limit(settings):
    from debates import limits

    settings.RATE_LIMITS = {"participant_per_address": "2/60"}
    await sync(limits.reset, "participant_per_address", "")  # the test client's sockets have no address
    debate = await sync(make_debate)
    poll = await sync(make_poll, debate)
    option = await sync(lambda: poll.options.first().pk)
    comms = [await connect(debate.code, lang="en") for _ in range(3)]
    statuses = []
    for i, comm in enumerate(comms):
        await drain(comm)
        statuses.append((await write(comm, i, action="vote", target=poll.pk, option=option, key=key()))["status"])
    assert statuses == [200, 200, 429]
    assert await sync(Participant.objects.filter(debate=debate).count) == 2
    for comm in comms:
        await comm.disconnect()


async def test_a_proposal_support_goes_over_the_socket_and_the_proposals_page_says_who_the_socket_is():
    from debates.models_consult import ProposalSupport
    from tests.consult.factories import make_consultation, make_proposal

    debate = await sync(make_consultation, threshold=50)
    proposal = await sync(make_proposal, debate)
    proposal = await sync(lambda: type(proposal).objects.get(pk=proposal.pk))
    comm = await connect(debate.code, lang="fr")
    await drain(comm)
    browser = key()
    answer = await write(comm, 1, action="proposal_support", target=proposal.pk, key=browser)
    assert answer["status"] == 200 and "Soutien" in answer["html"] and answer["token"]
    supporter = await sync(Participant.objects.get, debate=debate, client_key=browser)
    assert await sync(lambda: list(ProposalSupport.objects.values_list("participant_id", flat=True))) == [supporter.pk]
    await comm.disconnect()

    def page_names_them() -> bool:
        client = Client()
        client.cookies["client_key"] = browser
        html = client.get(f"/d/{debate.code}/proposals/").content.decode()
        return f'"live_ref": "{answer["ref"]}"' in html and 'data-me-url="' in html and answer["token"] not in html

    assert await sync(page_names_them)


async def test_a_participants_socket_is_them_from_the_handshake_by_the_session_cookie():
    from django.conf import settings

    debate = await sync(make_debate)
    poll = await sync(make_poll, debate)
    option = await sync(lambda: poll.options.first().pk)

    def a_participants_cookie() -> tuple[str, Participant]:
        client = Client()
        client.post(f"/d/{debate.code}/name", {"display_name": "Ana"}, HTTP_HX_REQUEST="true")
        return client.cookies[settings.SESSION_COOKIE_NAME].value, Participant.objects.get(display_name="Ana")

    cookie, ana = await sync(a_participants_cookie)
    from channels.testing import WebsocketCommunicator

    from hub.asgi import application
    from tests.live.test_consumers import ORIGIN

    comm = WebsocketCommunicator(
        application,
        f"/ws/d/{debate.code}/?lang=fr",
        headers=[*ORIGIN, (b"cookie", f"csrftoken=x; {settings.SESSION_COOKIE_NAME}={cookie}".encode())],
    )
    assert (await comm.connect(timeout=5))[0]
    first = json.loads(await comm.receive_from(timeout=3))  # before the server time: the page knows at once
    assert first == {"type": "identity", "ref": selectors.live_ref(selectors.live_token(ana))}
    await drain(comm)
    assert (await write(comm, 1, action="vote", target=poll.pk, option=option))["status"] == 200  # no key: as Ana
    assert await sync(lambda: list(Vote.objects.values_list("participant_id", flat=True))) == [ana.pk]
    await comm.disconnect()

    # A forged cookie, or one of another debate's participant: no identity, the page identifies itself.
    elsewhere = await sync(make_debate)
    for headers in ([(b"cookie", f"{settings.SESSION_COOKIE_NAME}=forged:value".encode())], []):
        for code in (debate.code, elsewhere.code):
            other = WebsocketCommunicator(application, f"/ws/d/{code}/?lang=fr", headers=[*ORIGIN, *headers])
            assert (await other.connect(timeout=5))[0]
            assert (await other.receive_from(timeout=3)).startswith('<div id="server-time"')
            await other.disconnect()
    stranger = WebsocketCommunicator(
        application,
        f"/ws/d/{elsewhere.code}/?lang=fr",
        headers=[*ORIGIN, (b"cookie", f"{settings.SESSION_COOKIE_NAME}={cookie}".encode())],
    )
    assert (await stranger.connect(timeout=5))[0]
    assert (await stranger.receive_from(timeout=3)).startswith('<div id="server-time"')  # Ana is not one there
    await stranger.disconnect()
