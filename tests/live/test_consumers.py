"""The websocket consumer, through the real ASGI application: snapshot on connect, every pushed event, refusals.

Services are called from a worker thread (as views call them), so they commit and publish exactly as in
production: on commit, onto the event loop the ASGI application is running on.
"""

from __future__ import annotations

import asyncio
import json
import re
import time

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from debates import services
from debates.models import Argument, Debate
from hub.asgi import application
from tests.factories import make_debate, make_moderator, make_official, make_participant, make_poll, make_question

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]


def sync(fn, *args, **kwargs):
    return database_sync_to_async(fn)(*args, **kwargs)


async def connect(code: str, tail: str = "", lang: str = "fr") -> WebsocketCommunicator:
    comm = WebsocketCommunicator(application, f"/ws/d/{code}/{tail}?lang={lang}", headers=ORIGIN)
    ok, detail = await comm.connect(timeout=5)
    assert ok, f"refused: {detail}"
    return comm


async def receive_until(comm: WebsocketCommunicator, test, timeout: float = 3.0) -> tuple[str, list[str]]:
    """Frames until one satisfies test (a substring or a predicate). Fails, listing what came, after timeout."""
    check = test if callable(test) else (lambda text: test in text)
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # receive_nothing() waits without cancelling the application (receive_from's timeout would kill it).
        if await comm.receive_nothing(timeout=min(0.05, max(0.0, deadline - time.monotonic())), interval=0.005):
            continue
        text = await comm.receive_from(timeout=1)
        seen.append(text)
        if check(text):
            return text, seen
    raise AssertionError(f"no frame matching {test!r} within {timeout}s; got {[s[:200] for s in seen]}")


async def drain(comm: WebsocketCommunicator, quiet: float = 0.35) -> list[str]:
    """Everything that arrives until the socket is quiet for `quiet` seconds (lets coalesced flushes land)."""
    got = []
    while not await comm.receive_nothing(timeout=quiet):
        got.append(await comm.receive_from(timeout=1))
    return got


def element(html: str, element_id: str) -> str:
    """The opening tag and content of the element with this id, up to the next top-level widget (good enough)."""
    start = html.index(f'id="{element_id}"')
    return html[html.rindex("<", 0, start) :]


# --- connect ------------------------------------------------------------------------------------------------------
async def test_snapshot_on_connect_has_every_public_widget():
    debate = await sync(make_debate)
    q = await sync(make_question, debate, text="Quand ouvre la médiathèque")
    poll = await sync(make_poll, debate)
    comm = await connect(debate.code)
    first = await comm.receive_from(timeout=3)
    assert first.startswith('<div id="server-time"') and re.search(r'data-server-now-ms="\d{13}"', first)
    # The snapshot (a presence flush, rendered for this one audience, may overtake it: the page applies either)
    snapshot, _seen = await receive_until(comm, 'id="status"')
    for widget_id in ("status", "onscreen", "questions", "polls", "presence"):
        assert f'id="{widget_id}"' in snapshot, widget_id
    assert snapshot.count('hx-swap-oob="true"') >= 5
    assert "Quand ouvre la médiathèque" in snapshot and f'id="q-{q.pk}"' in snapshot
    assert f'id="poll-{poll.pk}"' in snapshot
    assert re.search(r'id="presence"[^>]*>1 ', snapshot)
    # Moderator-only widgets never reach the public.
    assert 'id="queue"' not in snapshot and 'id="log"' not in snapshot
    await comm.disconnect()


async def test_snapshot_is_in_the_requested_language():
    debate = await sync(make_debate, premoderation=True)
    comm = await connect(debate.code, lang="en")
    text, _ = await receive_until(comm, 'id="status"')
    assert "checked by a moderator" in text
    await comm.disconnect()


@pytest.mark.parametrize(
    "path", ["/ws/d/ZZZZZZ/", "/ws/d/{draft}/", "/ws/d/{code}/screen/wrong-token-123/", "/ws/d/{code}/moderate/"]
)
async def test_unknown_code_draft_bad_token_or_anonymous_moderator_closes(path):
    debate = await sync(make_debate)
    draft = await sync(make_debate, status=Debate.Status.DRAFT)
    comm = WebsocketCommunicator(application, path.format(code=debate.code, draft=draft.code), headers=ORIGIN)
    ok, code = await comm.connect(timeout=5)
    assert not ok and code in (4403, 4404)
    await comm.disconnect()


async def test_foreign_origin_is_refused():
    debate = await sync(make_debate)
    comm = WebsocketCommunicator(application, f"/ws/d/{debate.code}/", headers=[(b"origin", b"http://evil.example")])
    ok, _code = await comm.connect(timeout=5)
    assert not ok
    await comm.disconnect()


# --- pushed events ------------------------------------------------------------------------------------------------
async def test_votes_are_coalesced_and_the_last_push_has_the_exact_count(settings):
    debate = await sync(make_debate)
    poll = await sync(make_poll, debate)
    yes = (await sync(lambda: poll.options.first())).pk
    voters = await sync(lambda: [make_participant(debate) for _ in range(40)])
    comm = await connect(debate.code)
    await drain(comm)

    started = time.monotonic()
    for p in voters:
        await sync(services.vote_cast, poll=poll, participant=p, option_id=yes)
    elapsed = time.monotonic() - started
    frames = [f for f in await drain(comm, quiet=settings.LIVE_FLUSH_INTERVAL + 1.5) if f"poll-{poll.pk}-results" in f]
    assert frames, "no vote count was pushed"
    assert "40 votes" in frames[-1] and "<strong>100 %</strong> · 40" in frames[-1]
    # At most one flush per interval (plus the one after the last vote), never one per vote.
    assert len(frames) <= elapsed / settings.LIVE_FLUSH_INTERVAL + 2
    assert len(frames) < len(voters)
    await comm.disconnect()


async def test_poll_opened_and_closed_are_pushed():
    debate = await sync(make_debate)
    mod = await sync(make_moderator, debate)
    poll = await sync(make_poll, debate, open_now=False, actor=mod)
    comm = await connect(debate.code)
    snapshot, _ = await receive_until(comm, 'id="polls"')
    assert f'id="poll-{poll.pk}"' not in snapshot  # a draft poll is not public
    await sync(services.poll_open, poll=poll, actor=mod)
    text, _ = await receive_until(comm, f'id="poll-{poll.pk}"')
    assert 'id="polls"' in text and f"/poll/{poll.pk}/vote" in text
    await sync(services.poll_close, poll=poll, actor=mod)
    text, _ = await receive_until(comm, "poll-closed")
    assert f"/poll/{poll.pk}/vote" not in text
    await comm.disconnect()


async def test_question_approved_upvoted_on_screen_and_answered_are_pushed():
    debate = await sync(make_debate, premoderation=True)
    mod = await sync(make_moderator, debate)
    official = await sync(make_official, debate, title="Maire de Dijon")
    author, fan = await sync(make_participant, debate), await sync(make_participant, debate)
    q = await sync(services.question_submit, debate=debate, participant=author, text="Et le marché du samedi")
    comm = await connect(debate.code)
    snapshot, _ = await receive_until(comm, 'id="questions"')
    assert "Et le marché du samedi" not in snapshot  # pending

    await sync(services.question_approve, question=q, actor=mod)
    text, _ = await receive_until(comm, "Et le marché du samedi")
    assert 'hx-swap-oob="afterbegin:#qlist"' in text and 'data-upvotes="0"' in text  # one insert

    await sync(services.question_upvote, question=q, participant=fan)
    await receive_until(comm, f'id="q-{q.pk}-n" class="count" data-item="q-{q.pk}" data-v="3" hx-swap-oob="true">1<')

    await sync(services.question_put_on_screen, question=q, debate=debate, actor=mod)
    text, _ = await receive_until(comm, lambda t: 'id="onscreen"' in t and "Et le marché" in element(t, "onscreen"))

    await sync(services.answer_post, question=q, actor=official, text="Il reste place Émile-Zola.")
    text, _ = await receive_until(comm, "Il reste place Émile-Zola.")
    assert "Maire de Dijon" in text
    await comm.disconnect()


async def test_arguments_posted_supported_and_hidden_are_pushed():
    debate = await sync(make_debate, word_filter="")
    mod = await sync(make_moderator, debate)
    poll = await sync(make_poll, debate, actor=mod)
    p1, p2 = await sync(make_participant, debate), await sync(make_participant, debate)
    comm = await connect(debate.code)
    await drain(comm)
    arg = await sync(services.argument_post, poll=poll, participant=p1, side="for", text="Des rues plus sûres.")
    text, _ = await receive_until(comm, "Des rues plus sûres.")
    assert f'hx-swap-oob="beforeend:#poll-{poll.pk}-for"' in text
    await sync(services.argument_upvote, argument=arg, participant=p2)
    await receive_until(
        comm, f'id="arg-{arg.pk}-n" class="count" data-item="arg-{arg.pk}" data-v="2" hx-swap-oob="true">1<'
    )
    await sync(services.argument_set_status, argument=arg, actor=mod, status=Argument.Status.HIDDEN)
    text, _ = await receive_until(comm, lambda t: f'id="poll-{poll.pk}-args"' in t and "Des rues" not in t)
    await comm.disconnect()


async def test_clock_and_segment_changes_are_pushed():
    debate = await sync(make_debate, segments=2)
    mod = await sync(make_moderator, debate)
    comm = await connect(debate.code)
    await drain(comm)
    await sync(services.clock_action, debate=debate, actor=mod, action="start")
    text, _ = await receive_until(comm, 'data-state="running"')
    assert re.search(r'data-deadline-ms="\d{13}"', text)
    await sync(services.clock_action, debate=debate, actor=mod, action="pause")
    await receive_until(comm, 'data-state="paused"')
    await sync(services.clock_action, debate=debate, actor=mod, action="next")
    text, _ = await receive_until(comm, "Segment 2")
    assert 'data-state="running"' in text
    await sync(services.debate_set_status, debate=debate, status=Debate.Status.CLOSED, actor=mod)
    await receive_until(comm, "status-closed")
    await comm.disconnect()


async def test_presence_count_is_pushed_when_people_come_and_go():
    debate = await sync(make_debate)
    first = await connect(debate.code, lang="en")
    await receive_until(first, "1 person following")
    second = await connect(debate.code, lang="en")
    await receive_until(first, "2 people following")
    await second.disconnect()
    await receive_until(first, "1 person following")
    await first.disconnect()


# --- what clients send --------------------------------------------------------------------------------------------
async def _next_close(comm: WebsocketCommunicator, timeout: float = 3.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = await comm.receive_output(timeout=timeout)
        if out["type"] == "websocket.close":
            return out.get("code")
    raise AssertionError("socket was not closed")


async def test_bad_frames_are_refused_without_affecting_another_client():
    debate = await sync(make_debate)
    mod = await sync(make_moderator, debate)
    poll = await sync(make_poll, debate, open_now=False, actor=mod)
    bystander = await connect(debate.code)
    noisy = await connect(debate.code)
    oversize = await connect(debate.code)
    await asyncio.gather(drain(bystander), drain(noisy), drain(oversize))

    # Not JSON, unknown type, not an object, bytes: ignored (the socket stays usable).
    for frame in ("not json{", json.dumps({"type": "vote", "option": 1}), "[1, 2]", "null"):
        await noisy.send_to(text_data=frame)
    await noisy.send_to(bytes_data=b"\x00\x01")
    await noisy.send_to(text_data=json.dumps({"type": "ping"}))
    # Over 8 KiB: closed at once (under daphne autobahn refuses it while reading: tests/e2e/test_sockets.py).
    await oversize.send_to(text_data=json.dumps({"type": "ping", "pad": "x" * 9000}))
    assert await _next_close(oversize) == 4413

    await sync(services.poll_open, poll=poll, actor=mod)
    await receive_until(bystander, f'id="poll-{poll.pk}"')
    await receive_until(noisy, f'id="poll-{poll.pk}"')  # ignored frames did not break it

    # A client that keeps sending garbage is eventually cut off; the others carry on.
    for _ in range(25):
        await noisy.send_to(text_data="garbage")
    assert await _next_close(noisy) == 4400
    await sync(services.poll_close, poll=poll, actor=mod)
    await receive_until(bystander, "poll-closed")
    await bystander.disconnect()
    await noisy.disconnect()
    await oversize.disconnect()


async def test_ping_gets_no_reply_and_keeps_the_socket():
    debate = await sync(make_debate)
    comm = await connect(debate.code)
    await drain(comm)
    await comm.send_to(text_data='{"type": "ping"}')
    # Nothing answers it; on a busy machine a late coalesced widget (presence) may still arrive meanwhile.
    for frame in await drain(comm, quiet=0.3):
        assert 'hx-swap-oob="true"' in frame and "pong" not in frame, frame
    from live import process

    assert process.current().relay.local_count(debate.pk) == 1  # still in the relay: not refused
    await comm.disconnect()


async def test_broadcast_reaches_every_socket_with_the_same_bytes():
    debate = await sync(make_debate, premoderation=False)
    socks = [await connect(debate.code) for _ in range(5)]
    await asyncio.gather(*(drain(s) for s in socks))
    await sync(
        services.question_submit,
        debate=debate,
        participant=await sync(make_participant, debate),
        text="La même pour tous",
    )
    texts = [(await receive_until(s, "La même pour tous"))[0] for s in socks]
    assert len(set(texts)) == 1
    for s in socks:
        await s.disconnect()


# --- nudges: a citizen's own state ----------------------------------------------------------------------------------
async def test_a_citizen_is_nudged_when_their_question_is_handled_and_only_they_are():
    from debates import selectors

    debate = await sync(make_debate, premoderation=True)
    mod = await sync(make_moderator, debate)
    author, other = await sync(make_participant, debate), await sync(make_participant, debate)
    question = await sync(services.question_submit, debate=debate, participant=author, text="Et le parc ?")
    mine = await connect(debate.code)
    theirs = await connect(debate.code)
    anonymous = await connect(debate.code)
    await asyncio.gather(drain(mine), drain(theirs), drain(anonymous))
    await mine.send_to(text_data=json.dumps({"type": "identify", "token": await sync(selectors.live_token, author)}))
    await theirs.send_to(text_data=json.dumps({"type": "identify", "token": await sync(selectors.live_token, other)}))
    await asyncio.sleep(0.1)

    await sync(services.question_reject, question=question, actor=mod, reason="Hors sujet")
    text, _seen = await receive_until(mine, 'id="me-stale"')
    assert "Hors sujet" not in text and "Et le parc" not in text  # the nudge carries nothing personal
    for comm in (theirs, anonymous):
        assert not any('id="me-stale"' in t for t in await drain(comm))
    for comm in (mine, theirs, anonymous):
        await comm.disconnect()


async def test_a_forged_or_foreign_identify_token_is_refused():
    from debates import selectors

    debate, elsewhere = await sync(make_debate), await sync(make_debate)
    foreign = await sync(selectors.live_token, await sync(make_participant, elsewhere))
    assert await sync(selectors.participant_for_live_token, foreign, debate.pk) is None
    assert await sync(selectors.participant_for_live_token, "1:forged:token", debate.pk) is None
    comm = await connect(debate.code)
    await drain(comm)
    for _ in range(25):  # refused like any bad frame: a client that insists is cut off
        await comm.send_to(text_data=json.dumps({"type": "identify", "token": foreign}))
    assert await _next_close(comm) == 4400
