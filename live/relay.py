"""The per-process fan-out.

A debate's sockets in one process share one channel-layer channel (the relay), which is the only member of the
debate's group from this process. A broadcast therefore costs one layer message per process, then one
`websocket.send` of the same pre-rendered text per local socket (under daphne, one write of the same pre-framed
bytes: live/wire.py): no per-socket dispatch through Channels' consumer machinery, no ORM query, no template
render.

The relay also keeps the latest fragment of every widget of its snapshot, so a browser that connects (or
reconnects) gets a snapshot without a render per connection during a connect storm. Fragments of single items
(keys the snapshot does not hold: a question's new count, an insert) are never all cached: the relay keeps those
relayed since its snapshot was rendered, at most MAX_DELTAS per audience, and sends them after the snapshot (the
browser drops what is older than it shows); past that, the next connection renders a fresh snapshot.

Robustness: a failing write to one socket drops that socket only; a client with more than
LIVE_SEND_HIGH_WATER_BYTES queued is closed as stalled (its page reconnects and takes a snapshot); every reader is
supervised (an unexpected error is logged and the reader restarted). Each process also holds one control channel
(group live.control) for revocations and drain requests.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from channels.db import database_sync_to_async
from django.conf import settings

from . import groups, hooks, registry, wire
from .runtime import PROCESS_ID

if TYPE_CHECKING:
    from .process import Runtime

log = logging.getLogger(__name__)

SNAPSHOT_MAX_AGE = 10.0  # seconds; older cached snapshots are rendered afresh from the database
MAX_DELTAS = 200  # item fragments kept per audience after its cached snapshot; more: the snapshot is rendered again
RESTART_DELAYS = (0.0, 0.1, 0.5, 2.0)  # a reader failing again and again backs off, never gives up

# Sent to a citizen's sockets when their own state changed: the page fetches it (static/js/live.js).
NUDGE_FRAME = '<div id="me-stale" hidden hx-swap-oob="true"></div>'

# Close codes (autobahn under daphne accepts only 1000 and 3000–4999). static/js/live.js reconnects on
# CLOSE_STALLED and CLOSE_RESTART at once (with jitter), later on CLOSE_TOO_MANY, never on the others.
CLOSE_BAD_FRAMES = 4400
CLOSE_REVOKED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_STALLED = 4408
CLOSE_TOO_BIG = 4413
CLOSE_TOO_MANY = 4429
CLOSE_ERROR = 4500
CLOSE_RESTART = 4503


class Socket(Protocol):
    # Set for daphne sockets (live.wire): writes an already framed message, returns the bytes still queued
    # (-1 once the socket is closing).
    write_frame: wire.FrameWriter | None
    # The citizen behind a public socket once their page has identified itself (for nudges); None otherwise.
    participant_id: int | None
    # The staff user behind a moderators' socket (for revocation); None otherwise.
    user_id: int | None
    # Bytes handed to sends that have not completed (servers with write backpressure; see send_eagerly).
    backlog: int

    async def send_frame(self, text: str) -> None: ...

    def shut(self, code: int, reason: str) -> None:
        """Leave the relay now and close the socket with this code."""


@dataclass
class DebateRelay:
    debate_id: int
    sockets: dict[str, set[Socket]] = field(default_factory=lambda: {a: set() for a in groups.AUDIENCES})
    citizens: dict[int, set[Socket]] = field(default_factory=dict)  # participant id -> their sockets here
    channel: str = ""
    reader: asyncio.Task | None = None
    # audience -> widget key -> (version, html)
    latest: dict[str, dict[str, tuple[int, str]]] = field(default_factory=dict)
    latest_full_at: dict[str, float] = field(default_factory=dict)
    # audience -> [(sequence, html)]: item fragments relayed since that audience's snapshot render began
    deltas: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    delta_seq: int = 0
    rendering: dict[str, asyncio.Future] = field(default_factory=dict)
    # Concurrent joins must not each subscribe a relay channel (duplicate readers = every message sent twice).
    joining: asyncio.Lock = field(default_factory=asyncio.Lock)
    presence_dirty: bool = False
    presence_writer: asyncio.Task | None = None
    # Writes of this process's listened audiences (Redis) are serialised: each writes the set of its moment.
    audiences_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def audiences(self) -> list[str]:
        return sorted(a for a, sockets in self.sockets.items() if sockets)

    def count(self) -> int:
        return sum(len(s) for s in self.sockets.values())

    def all_sockets(self) -> list[Socket]:
        return [sock for sockets in self.sockets.values() for sock in sockets]


class Relay:
    """One per runtime (event loop; one per server process in production)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.loop = rt.loop
        self.debates: dict[int, DebateRelay] = {}
        self.heartbeat: asyncio.Task | None = None
        self.control: asyncio.Task | None = None
        self.control_channel = ""
        self.control_ready: asyncio.Lock = asyncio.Lock()
        self.probes: dict[str, asyncio.Future] = {}
        self.high_water = settings.LIVE_SEND_HIGH_WATER_BYTES
        # Called with each control message this process receives (live.revoke, live.drain) besides the relay's
        # own handling: the consumers' access cache and the drain listen here.
        self.control_listeners: list[Callable[[dict[str, Any]], None]] = []

    @property
    def layer(self) -> Any:
        return self.rt.layer

    @property
    def redis(self) -> Any:
        return self.rt.redis

    # --- membership -------------------------------------------------------------------------------------------
    async def join(self, debate_id: int, audience: str, sock: Socket) -> None:
        relay = self.debates.get(debate_id)
        if relay is None:
            relay = self.debates[debate_id] = DebateRelay(debate_id)
        # Counted before any await: a concurrent leave() of the last other socket then keeps this relay (and its
        # subscription) instead of dropping it while we wait, which left joiners on an orphaned relay that never
        # received anything (bench/: 284 of 5000 clients in one run).
        new_audience = not relay.sockets[audience]
        relay.sockets[audience].add(sock)
        if sock.participant_id is not None:
            relay.citizens.setdefault(sock.participant_id, set()).add(sock)
        try:
            if new_audience:
                # Before the snapshot: a broadcast rendered without this audience then read the database before
                # the snapshot does, so the snapshot holds what it carried (see listened()).
                await self._write_audiences(relay)
            await self.ensure_control()
            async with relay.joining:
                if relay.reader is None:
                    relay.channel = await self.layer.new_channel(prefix=f"relay.{debate_id}.")
                    await self.layer.group_add(groups.debate_group(debate_id), relay.channel)
                    relay.reader = self.supervise(f"relay {debate_id}", lambda: self._read(relay))
        except BaseException:
            self._forget(relay, audience, sock)
            raise
        await self._presence_changed(relay)

    async def leave(self, debate_id: int, audience: str, sock: Socket) -> None:
        relay = self.debates.get(debate_id)
        if relay is None:
            return
        self._forget(relay, audience, sock)
        if not relay.sockets[audience]:
            # Nobody here listens to it any more: broadcasts may stop rendering it, so its cache would go stale.
            relay.latest.pop(audience, None)
            relay.latest_full_at.pop(audience, None)
            relay.deltas.pop(audience, None)
            if self.redis is not None:
                self.loop.create_task(self._write_audiences(relay))
        await self._presence_changed(relay)
        if relay.count() == 0 and relay.reader is not None:
            relay.reader.cancel()
            relay.reader = None
            try:
                await self.layer.group_discard(groups.debate_group(debate_id), relay.channel)
            except Exception:  # the layer may be down; the group entry expires on its own
                log.warning("group_discard failed for debate %s", debate_id, exc_info=True)
            # A socket may have joined while we awaited: it restarted a reader on this same relay; keep it then.
            if relay.count() == 0 and relay.reader is None and self.debates.get(debate_id) is relay:
                self.debates.pop(debate_id, None)

    def identify(self, debate_id: int, sock: Socket, participant_id: int) -> None:
        """From now on, nudges for this participant reach this socket."""
        relay = self.debates.get(debate_id)
        if relay is None or not any(sock in sockets for sockets in relay.sockets.values()):
            return
        if sock.participant_id != participant_id:
            self._drop_citizen(relay, sock)
        sock.participant_id = participant_id
        relay.citizens.setdefault(participant_id, set()).add(sock)

    @classmethod
    def _forget(cls, relay: DebateRelay, audience: str, sock: Socket) -> None:
        relay.sockets[audience].discard(sock)
        cls._drop_citizen(relay, sock)

    @staticmethod
    def _drop_citizen(relay: DebateRelay, sock: Socket) -> None:
        """Nudges for the participant this socket was identified as no longer reach it."""
        mine = relay.citizens.get(sock.participant_id) if sock.participant_id is not None else None
        if mine is not None:
            mine.discard(sock)
            if not mine:
                relay.citizens.pop(sock.participant_id, None)

    def local_count(self, debate_id: int) -> int:
        relay = self.debates.get(debate_id)
        return relay.count() if relay else 0

    def total_count(self) -> int:
        return sum(relay.count() for relay in self.debates.values())

    async def presence_total(self, debate_id: int) -> int:
        """Connected browsers for a debate over every process (Redis), or in this one."""
        if self.redis is None:
            return self.local_count(debate_id)
        try:
            counts = await self.redis.hgetall(groups.presence_key(debate_id))
            total = self.local_count(debate_id)  # this process's own count is current here, Redis's may lag
            for proc, n in counts.items():
                proc = proc.decode()
                if proc != PROCESS_ID and await self.redis.exists(groups.process_alive_key(proc)):
                    total += int(n)
            return total
        except Exception:
            log.warning("presence read failed", exc_info=True)
            return self.local_count(debate_id)

    async def _presence_changed(self, relay: DebateRelay) -> None:
        if self.redis is not None:
            # One writer per debate, writing the count of the moment it writes: concurrent joins and leaves
            # (a connect storm, 100 sockets closed at once) never leave an older count in Redis, and a storm costs
            # one write per round trip, not one per socket.
            relay.presence_dirty = True
            if relay.presence_writer is None or relay.presence_writer.done():
                relay.presence_writer = self.loop.create_task(self._write_presence(relay))
        await self.rt.coalescer.mark_async(relay.debate_id, {"presence"})

    async def _write_presence(self, relay: DebateRelay) -> None:
        while relay.presence_dirty:
            relay.presence_dirty = False
            try:
                await self.redis.hset(groups.presence_key(relay.debate_id), PROCESS_ID, relay.count())
                await self.redis.set(groups.process_alive_key(PROCESS_ID), 1, ex=30)
                if self.heartbeat is None:
                    self.heartbeat = self.loop.create_task(self._beat())
            except Exception:
                log.warning("presence write failed")
                self.rt.redis_trouble()

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(10)
            try:
                await self.redis.set(groups.process_alive_key(PROCESS_ID), 1, ex=30)
            except Exception:
                log.warning("heartbeat failed", exc_info=True)
            for relay in list(self.debates.values()):
                await self._write_audiences(relay)

    # --- listened audiences: a broadcast renders only the audiences (role and language) someone listens to --------
    async def _write_audiences(self, relay: DebateRelay) -> None:
        """Tell every process which audiences of this debate have sockets here (Redis; in-process without it)."""
        if self.redis is None:
            return
        async with relay.audiences_lock:
            audiences = relay.audiences()
            key = groups.audiences_key(relay.debate_id)
            try:
                if audiences:
                    entry = json.dumps({"t": time.time(), "a": audiences})
                    await self.redis.hset(key, PROCESS_ID, entry)
                    await self.redis.expire(key, 3600)
                else:
                    await self.redis.hdel(key, PROCESS_ID)
            except Exception:
                # Broadcasts may now leave out an audience listened here: made good once Redis answers (resync).
                log.warning("writing listened audiences failed")
                self.rt.redis_trouble()

    async def listened(self, debate_id: int) -> tuple[str, ...]:
        """The audiences to render for a broadcast of this debate: those with sockets in some process (all of them
        when observers listen in-process, or when Redis cannot say)."""
        if hooks.listeners:  # tests and tools observe every audience
            return groups.AUDIENCES
        if self.redis is None:
            relay = self.debates.get(debate_id)
            return tuple(relay.audiences()) if relay else ()
        try:
            entries = await self.redis.hgetall(groups.audiences_key(debate_id))
        except Exception:
            return groups.AUDIENCES
        return groups.listened_from(entries)

    # --- supervision ------------------------------------------------------------------------------------------
    def supervise(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> asyncio.Task:
        """A task running run() for good: when it raises, the error is logged and run() started again (after a
        growing pause if it keeps failing). Cancelling the task stops it."""

        async def forever() -> None:
            failures = 0
            while True:
                started = time.monotonic()
                try:
                    await run()
                    return
                except asyncio.CancelledError:
                    raise
                except Exception:
                    failures = 1 if time.monotonic() - started > 10 else failures + 1
                    log.exception("live %s failed; restarting it", name)
                    await asyncio.sleep(RESTART_DELAYS[min(failures, len(RESTART_DELAYS)) - 1])

        return self.loop.create_task(forever(), name=f"live {name}")

    # --- delivery ---------------------------------------------------------------------------------------------
    async def _read(self, relay: DebateRelay) -> None:
        while True:
            try:
                message = await self.layer.receive(relay.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("relay receive failed; retrying", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            if message.get("type") == "live.frames":
                await self.deliver(relay, message["frames"])
            elif message.get("type") == "live.nudge":
                self.nudge(relay, message.get("participants", []))

    def nudge(self, relay: DebateRelay, participant_ids: list[int]) -> None:
        """Tell these citizens' pages (their sockets in this process) to fetch their own state again."""
        for pid in participant_ids:
            sockets = relay.citizens.get(pid)
            for sock in list(sockets or ()):
                send_eagerly(sock.send_frame(NUDGE_FRAME), sockets, sock, len(NUDGE_FRAME), self.high_water)

    async def deliver(self, relay: DebateRelay, frames: dict[str, list[list[Any]]]) -> None:
        """Send each audience's fragments, joined once, to every socket of this relay in that audience.

        Each socket's write is guarded: a socket that fails is dropped and closed, the others still get the frame.
        """
        high_water = self.high_water
        for audience, fragments in frames.items():
            cache = relay.latest.setdefault(audience, {})
            for key, version, html in fragments:
                if key in cache:
                    if cache[key][0] <= version:
                        cache[key] = (version, html)
                elif audience in relay.latest_full_at or audience in relay.rendering:
                    # an item: kept (bounded) only behind a cached snapshot, or one being rendered
                    relay.delta_seq += 1
                    deltas = relay.deltas.setdefault(audience, [])
                    deltas.append((relay.delta_seq, html))
                    if len(deltas) > MAX_DELTAS:
                        relay.latest_full_at.pop(audience, None)
                        relay.deltas.pop(audience, None)
            sockets = relay.sockets.get(audience)
            if not sockets or not fragments:  # nothing for this audience (a moderators-only widget, say)
                continue
            text = "".join(html for _key, _v, html in fragments)
            frame = None
            for sock in list(sockets):
                try:
                    if sock.write_frame is not None:
                        if frame is None:
                            frame = wire.text_frame(text)
                        write_or_shut(sock, frame, high_water, sockets)
                    else:
                        send_eagerly(sock.send_frame(text), sockets, sock, len(text), high_water)
                except Exception:
                    log.warning("dropping a socket whose write failed", exc_info=True)
                    sockets.discard(sock)
                    _shut_quietly(sock, CLOSE_ERROR, "write failed")

    async def resync(self) -> None:
        """Render every widget of every local debate for the audiences present here and deliver them to the local
        sockets (not through the layer): after a Redis outage, whatever was lost on pub/sub is made good."""
        for debate_id, relay in list(self.debates.items()):
            audiences = [a for a, sockets in relay.sockets.items() if sockets]
            if not audiences:
                continue
            try:
                presence = await self.presence_total(debate_id)
                frames = await database_sync_to_async(registry.render, thread_sensitive=False)(
                    debate_id, None, audiences, presence
                )
                await self.deliver(relay, frames)
            except Exception:
                log.exception("resync failed for debate %s", debate_id)

    async def snapshot(self, debate_id: int, audience: str) -> str:
        """Every widget of this audience, newest fragments; rendered at most once per SNAPSHOT_MAX_AGE per
        process, shared by all the connections that arrive meanwhile."""
        relay = self.debates.get(debate_id) or DebateRelay(debate_id)
        fresh = time.monotonic() - relay.latest_full_at.get(audience, -1e9) < SNAPSHOT_MAX_AGE
        if not fresh:
            pending = relay.rendering.get(audience)
            if pending is None:
                pending = self.loop.create_future()
                relay.rendering[audience] = pending
                try:
                    started_at_seq = relay.delta_seq
                    presence = await self.presence_total(debate_id)
                    frames = await database_sync_to_async(registry.render, thread_sensitive=False)(
                        debate_id, None, (audience,), presence
                    )
                    cache = relay.latest.setdefault(audience, {})
                    for key, version, html in frames.get(audience, []):
                        if key not in cache or cache[key][0] <= version:
                            cache[key] = (version, html)
                    relay.latest_full_at[audience] = time.monotonic()
                    # Items relayed before this render began are in it (or older than it): drop them.
                    relay.deltas[audience] = [d for d in relay.deltas.get(audience, []) if d[0] > started_at_seq]
                    pending.set_result(True)
                except Exception as exc:
                    pending.set_exception(exc)
                    raise
                finally:
                    relay.rendering.pop(audience, None)
            else:
                await asyncio.shield(pending)
        entries = sorted(relay.latest.get(audience, {}).values(), key=lambda e: e[0])
        return "".join(html for _v, html in entries) + "".join(html for _s, html in relay.deltas.get(audience, []))

    # --- control: revocation, drain ---------------------------------------------------------------------------
    async def ensure_control(self) -> None:
        """Subscribe this process's control channel (once)."""
        if self.control is not None:
            return
        async with self.control_ready:
            if self.control is None:
                self.control_channel = await self.layer.new_channel(prefix="control.")
                await self.layer.group_add(groups.CONTROL_GROUP, self.control_channel)
                self.control = self.supervise("control", self._read_control)

    async def _read_control(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.control_channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("control receive failed; retrying", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            if message.get("type") == "live.probe":
                waiter = self.probes.pop(message.get("id"), None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(True)
                continue
            if message.get("type") == "live.revoke":
                self.revoke(
                    message.get("debate"),
                    message.get("role"),
                    message.get("user"),
                    message.get("reason") or "access revoked",
                )
            for listener in list(self.control_listeners):
                listener(message)

    async def probe(self, timeout: float) -> bool:
        """Whether a message sent now through the layer to this process's control channel comes back within
        timeout (the layer delivers to this process again)."""
        import uuid

        if self.control is None:
            return True  # nothing subscribed here: nothing to make good
        probe_id = uuid.uuid4().hex
        waiter = self.probes[probe_id] = self.loop.create_future()
        try:
            await self.layer.send(self.control_channel, {"type": "live.probe", "id": probe_id})
            await asyncio.wait_for(waiter, timeout)
            return True
        except Exception:
            return False
        finally:
            self.probes.pop(probe_id, None)

    def revoke(self, debate_id: int | None, role: str | None, user_id: int | None, reason: str) -> int:
        """Close this process's sockets matching the selectors (see live.publish.revoke); returns how many."""
        relays = (
            [self.debates[debate_id]]
            if debate_id in self.debates
            else []
            if debate_id is not None
            else list(self.debates.values())
        )
        closed = 0
        for relay in relays:
            for audience, sockets in relay.sockets.items():
                if role is not None and audience.split(".")[0] != role:
                    continue
                for sock in list(sockets):
                    if user_id is None or getattr(sock, "user_id", None) == user_id:
                        _shut_quietly(sock, CLOSE_REVOKED, reason)
                        closed += 1
        return closed

    def close_all(self, code: int, reason: str, spread: float = 0.0) -> int:
        """Close every socket of this process, spread evenly over `spread` seconds in random order (so their
        reconnects do not arrive all at once elsewhere). Returns how many."""
        import random

        sockets = [sock for relay in self.debates.values() for sock in relay.all_sockets()]
        random.shuffle(sockets)
        for i, sock in enumerate(sockets):
            delay = spread * i / len(sockets) if spread else 0.0
            self.loop.call_later(delay, _shut_quietly, sock, code, reason)
        return len(sockets)


def write_or_shut(sock: Socket, frame: bytes, high_water: int, sockets: set | None = None) -> None:
    """Write a ready frame to a daphne socket (sock.write_frame); past the high-water mark of bytes still queued for
    it, the client is too slow: it leaves `sockets` and is closed with CLOSE_STALLED (its page reconnects)."""
    assert sock.write_frame is not None
    if sock.write_frame(frame) > high_water:
        if sockets is not None:
            sockets.discard(sock)
        sock.shut(CLOSE_STALLED, "too slow: reconnect")


def _shut_quietly(sock: Socket, code: int, reason: str) -> None:
    try:
        sock.shut(code, reason)
    except Exception:
        log.warning("closing a socket failed", exc_info=True)


def send_eagerly(coro: Any, sockets: set, sock: Any, size: int = 0, high_water: int | None = None) -> None:
    """Run a socket send now, without a task, as far as it goes without waiting.

    Under daphne a send never waits, so the whole broadcast runs without creating a task per socket. Servers with
    write backpressure (uvicorn) may make a send wait for a slow client: only that send is handed to a task, so one
    slow phone never holds up the broadcast for the others; what such tasks hold is counted per socket, and a
    socket above the high-water mark is closed as stalled.
    """
    try:
        awaited = coro.send(None)
    except StopIteration:
        return
    except Exception:  # a socket closing mid-broadcast must not stop the others
        sockets.discard(sock)
        return
    backlog = getattr(sock, "backlog", 0) + size
    if high_water is not None and backlog > high_water:
        coro.close()
        sockets.discard(sock)
        _shut_quietly(sock, CLOSE_STALLED, "too slow: reconnect")
        return
    if hasattr(sock, "backlog"):
        sock.backlog = backlog
    asyncio.get_running_loop().create_task(_finish_send(coro, awaited, sockets, sock, size))


async def _finish_send(coro: Any, awaited: Any, sockets: set, sock: Any, size: int) -> None:
    try:
        while True:
            try:
                if awaited is None:
                    await asyncio.sleep(0)
                else:
                    await awaited
            except BaseException:
                pass  # the coroutine sees the outcome through the future when resumed
            try:
                awaited = coro.send(None)
            except StopIteration:
                return
            except Exception:
                sockets.discard(sock)
                return
    finally:
        if hasattr(sock, "backlog"):
            sock.backlog -= size


Renderer = Callable[..., dict[str, list[list[Any]]]]
