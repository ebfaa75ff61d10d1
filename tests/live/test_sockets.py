"""Sockets under abuse and revocation, through the real ASGI application (WebsocketCommunicator): close codes the
servers accept, with a reason; every closed socket leaves the relay and presence; malformed frames refused without
a traceback; one failing socket or reader never silences a debate; stalled clients closed; access taken away
closes the affected sockets. The same against a real daphne: tests/e2e/test_sockets.py."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings

from debates import services
from debates.models import DebateRole
from hub.asgi import application
from live import process
from live.relay import CLOSE_BAD_FRAMES, CLOSE_REVOKED, CLOSE_STALLED
from tests.factories import make_debate, make_moderator, make_question
from tests.live.test_moderation_consumer import _communicator as moderator_socket
from tests.live.test_moderation_consumer import _session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")]


def sync(fn, *args, **kwargs):
    return sync_to_async(fn)(*args, **kwargs)


async def connect(path: str) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(application, path, headers=HEADERS)
    ok, detail = await comm.connect(timeout=5)
    assert ok, f"refused: {detail}"
    return comm


async def quiet(comm: WebsocketCommunicator, for_seconds: float = 0.3) -> list[str]:
    got = []
    while not await comm.receive_nothing(timeout=for_seconds):
        out = await comm.receive_output(timeout=1)
        got.append(out.get("text") or out.get("type"))
    return got


async def next_close(comm: WebsocketCommunicator, timeout: float = 3.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = await comm.receive_output(timeout=timeout)
        if out["type"] == "websocket.close":
            return out
    raise AssertionError("socket was not closed")


async def until(predicate, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        await asyncio.sleep(0.02)


# --- malformed frames ---------------------------------------------------------------------------------------------
async def test_deeply_nested_json_and_binary_frames_are_refused_without_a_traceback(caplog):
    debate = await sync(make_debate)
    comm = await connect(f"/ws/d/{debate.code}/")
    await quiet(comm)
    with caplog.at_level(logging.WARNING):
        await comm.send_to(text_data="[" * 3000)  # json.loads would raise RecursionError
        await comm.send_to(text_data='{"type": ' * 500)
        await comm.send_to(bytes_data=b"\x00" * 100)
        await comm.send_to(text_data='{"type": "ping"}')
        for frame in await quiet(comm):  # nothing answered and not closed (a late coalesced widget may arrive)
            assert frame != "websocket.close" and 'hx-swap-oob="true"' in frame, frame
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    # Counted as bad frames: enough of them close with a code the servers accept, and a reason.
    for _ in range(20):
        await comm.send_to(text_data="[" * 3000)
    closed = await next_close(comm)
    assert closed["code"] == CLOSE_BAD_FRAMES and closed.get("reason")
    await comm.disconnect()


async def test_a_hundred_misbehaving_sockets_leave_presence_as_it_was():
    debate = await sync(make_debate)
    watcher = await connect(f"/ws/d/{debate.code}/")
    await quiet(watcher)
    relay = process.current().relay
    assert relay.local_count(debate.pk) == 1
    bad = [await connect(f"/ws/d/{debate.code}/") for _ in range(100)]
    assert relay.local_count(debate.pk) == 101
    for i, comm in enumerate(bad):
        if i % 2:  # too big: closed at once
            await comm.send_to(text_data="x" * (settings.LIVE_MAX_FRAME_BYTES + 1))
        else:  # garbage until cut off
            for _ in range(20):
                await comm.send_to(text_data="[" * 10)
    for comm in bad:
        assert (await next_close(comm))["code"] in (4400, 4413)
    # They left the relay at the moment they were closed, before any disconnect from the client.
    assert relay.local_count(debate.pk) == 1
    for comm in bad:
        await comm.disconnect()
    await until(lambda: relay.local_count(debate.pk) == 1)
    deadline = time.monotonic() + 3
    while await relay.presence_total(debate.pk) != 1 and time.monotonic() < deadline:  # Redis: written in a task
        await asyncio.sleep(0.05)
    assert await relay.presence_total(debate.pk) == 1
    await watcher.disconnect()


# --- delivery -----------------------------------------------------------------------------------------------------
class BrokenSocket:
    """A socket whose every write raises (a transport gone wrong)."""

    participant_id = None
    user_id = None
    backlog = 0

    def __init__(self) -> None:
        self.shut_with: tuple[int, str] | None = None

    def write_frame(self, frame: bytes) -> int:
        raise OSError("broken pipe")

    async def send_frame(self, text: str) -> None:
        raise OSError("broken pipe")

    def shut(self, code: int, reason: str) -> None:
        self.shut_with = (code, reason)


async def test_a_socket_whose_write_fails_never_stops_delivery_to_the_others():
    debate = await sync(make_debate, premoderation=False)
    good = await connect(f"/ws/d/{debate.code}/")
    await quiet(good)
    relay = process.current().relay
    broken = BrokenSocket()
    relay.debates[debate.pk].sockets["public.fr"].add(broken)
    await sync(make_question, debate, text="Toujours livrée")
    frames = await quiet(good, 0.5)
    assert any("Toujours livrée" in f for f in frames)
    assert broken.shut_with is not None and broken not in relay.debates[debate.pk].sockets["public.fr"]
    await sync(make_question, debate, text="Et la suivante")
    assert any("Et la suivante" in f for f in await quiet(good, 0.5))
    await good.disconnect()


async def test_the_relay_reader_is_restarted_when_it_fails(monkeypatch, caplog):
    debate = await sync(make_debate, premoderation=False)
    comm = await connect(f"/ws/d/{debate.code}/")
    await quiet(comm)
    relay = process.current().relay
    real_deliver = relay.deliver
    failures = []

    async def deliver_failing_once(debate_relay, frames):
        if not failures:
            failures.append(1)
            raise RuntimeError("reader bug")
        await real_deliver(debate_relay, frames)

    monkeypatch.setattr(relay, "deliver", deliver_failing_once)
    with caplog.at_level(logging.ERROR, logger="live.relay"):
        await sync(make_question, debate, text="Perdue dans la panne")
        await until(lambda: failures)
        await asyncio.sleep(0.1)
    assert any("restarting" in r.getMessage() for r in caplog.records)
    await sync(make_question, debate, text="Après le redémarrage")
    assert any("Après le redémarrage" in f for f in await quiet(comm, 0.5))
    await comm.disconnect()


class SlowSocket(BrokenSocket):
    """A client that stopped reading: every write leaves more queued."""

    def __init__(self) -> None:
        super().__init__()
        self.queued = 0

    def write_frame(self, frame: bytes) -> int:
        self.queued += len(frame)
        return self.queued


async def test_a_stalled_client_past_the_high_water_mark_is_closed_to_reconnect(settings):
    debate = await sync(make_debate, premoderation=False)
    comm = await connect(f"/ws/d/{debate.code}/")
    await quiet(comm)
    relay = process.current().relay
    relay.high_water = 2000
    slow = SlowSocket()
    relay.debates[debate.pk].sockets["public.fr"].add(slow)
    for i in range(10):
        await sync(make_question, debate, text=f"Question numéro {i} " + "x" * 150)
        if slow.shut_with:
            break
    assert slow.shut_with is not None and slow.shut_with[0] == CLOSE_STALLED
    assert slow not in relay.debates[debate.pk].sockets["public.fr"]
    assert any("Question numéro" in f for f in await quiet(comm))  # the others are served as usual
    await comm.disconnect()


# --- revocation ---------------------------------------------------------------------------------------------------
async def test_a_new_screen_link_closes_the_old_screens_and_refuses_the_old_link_at_once():
    debate = await sync(make_debate)
    moderator = await sync(make_moderator, debate)
    old = debate.screen_token
    screen = await connect(f"/ws/d/{debate.code}/screen/{old}/")
    public = await connect(f"/ws/d/{debate.code}/")
    await asyncio.gather(quiet(screen), quiet(public))
    started = time.monotonic()
    await sync(services.screen_token_regenerate, debate=debate, actor=moderator)
    closed = await next_close(screen, timeout=1.0)
    assert closed["code"] == CLOSE_REVOKED and closed.get("reason")
    assert time.monotonic() - started < 1.0
    assert await public.receive_nothing(timeout=0.2)  # citizens are not affected
    # The old link no longer opens a socket (no 5 s cache), the new one does.
    again = WebsocketCommunicator(application, f"/ws/d/{debate.code}/screen/{old}/", headers=HEADERS)
    ok, code = await again.connect(timeout=5)
    assert not ok and code == 4403
    fresh = await connect(
        f"/ws/d/{debate.code}/screen/{(await sync(lambda: type(debate).objects.get(pk=debate.pk))).screen_token}/"
    )
    for comm in (screen, public, again, fresh):
        await comm.disconnect()


async def test_removing_a_moderators_role_closes_their_console_only():
    from django.contrib.auth import get_user_model

    debate = await sync(make_debate)
    leaving = await sync(make_moderator, debate)
    staying = await sync(make_moderator, debate)
    admin = await sync(lambda: get_user_model().objects.create_superuser("root", "r@example.org", "pw-root-123"))
    theirs = moderator_socket(debate.code, await sync(_session_cookie, leaving))
    mine = moderator_socket(debate.code, await sync(_session_cookie, staying))
    assert (await theirs.connect(timeout=5))[0] and (await mine.connect(timeout=5))[0]
    await asyncio.gather(quiet(theirs), quiet(mine))
    role = await sync(lambda: DebateRole.objects.select_related("debate", "user").get(debate=debate, user=leaving))
    await sync(services.role_remove, role=role, actor=admin)
    closed = await next_close(theirs, timeout=1.0)
    assert closed["code"] == CLOSE_REVOKED
    assert (await quiet(mine)) == [] or "websocket.close" not in await quiet(mine)
    relay = process.current().relay
    await until(lambda: relay.local_count(debate.pk) == 1)
    await sync(make_question, debate, approve=False, text="Réservée aux modérateurs")
    got = await quiet(mine, 0.5)
    assert any("Réservée aux modérateurs" in f for f in got)
    for comm in (theirs, mine):
        await comm.disconnect()


async def test_revoking_a_user_everywhere_closes_their_consoles_in_every_debate():
    """What logout calls: revoke(role="moderators", user_id=…) reaches every debate of every process."""
    from live.publish import revoke

    first, second = await sync(make_debate), await sync(make_debate)
    user = await sync(make_moderator, first)
    await sync(lambda: DebateRole.objects.create(debate=second, user=user, role=DebateRole.Role.MODERATOR))
    cookie = await sync(_session_cookie, user)
    sockets = [moderator_socket(d.code, cookie) for d in (first, second)]
    for comm in sockets:
        assert (await comm.connect(timeout=5))[0]
        await quiet(comm)
    public = await connect(f"/ws/d/{first.code}/")
    await quiet(public)
    await sync(revoke, role="moderators", user_id=user.pk, reason="logged out")
    for comm in sockets:
        assert (await next_close(comm, timeout=1.0))["code"] == CLOSE_REVOKED
    assert await public.receive_nothing(timeout=0.2)
    with pytest.raises(ValueError):
        revoke()
    for comm in [*sockets, public]:
        await comm.disconnect()


async def test_logging_out_closes_that_users_consoles():
    """debates.staff_sessions.revoke (logout, last role lost) also closes the user's open consoles."""
    from debates import staff_sessions

    debate = await sync(make_debate)
    user = await sync(make_moderator, debate)
    comm = moderator_socket(debate.code, await sync(_session_cookie, user))
    assert (await comm.connect(timeout=5))[0]
    await quiet(comm)
    await sync(staff_sessions.revoke, user)
    assert (await next_close(comm, timeout=1.0))["code"] == CLOSE_REVOKED
    await comm.disconnect()
