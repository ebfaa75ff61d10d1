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
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from . import groups, registry, wire
from .runtime import PROCESS_ID

log = logging.getLogger(__name__)

SNAPSHOT_MAX_AGE = 10.0  # seconds; older cached snapshots are rendered afresh from the database
MAX_DELTAS = 200  # item fragments kept per audience after its cached snapshot; more: the snapshot is rendered again


# Sent to a citizen's sockets when their own state changed: the page fetches it (static/js/live.js).
NUDGE_FRAME = '<div id="me-stale" hidden hx-swap-oob="true"></div>'


class Socket(Protocol):
    # Set for daphne sockets (live.wire): writes an already framed message, False once the socket is closing.
    write_frame: wire.FrameWriter | None
    # The citizen behind a public socket once their page has identified itself (for nudges); None otherwise.
    participant_id: int | None

    async def send_frame(self, text: str) -> None: ...


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

    def count(self) -> int:
        return sum(len(s) for s in self.sockets.values())


class Relay:
    """One per event loop (per server process in production)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.layer = get_channel_layer()
        self.debates: dict[int, DebateRelay] = {}
        self.redis = None
        self.heartbeat: asyncio.Task | None = None
        if settings.REDIS_URL:
            import redis.asyncio as aioredis

            # Blocking pool: during a connect storm callers wait for a free connection instead of failing with
            # MaxConnectionsError (measured by bench/: presence/coalescing errors and failed handshakes).
            pool = aioredis.BlockingConnectionPool.from_url(settings.REDIS_URL, max_connections=64, timeout=10)
            self.redis = aioredis.Redis(connection_pool=pool)

    # --- membership -------------------------------------------------------------------------------------------
    async def join(self, debate_id: int, audience: str, sock: Socket) -> None:
        relay = self.debates.get(debate_id)
        if relay is None:
            relay = self.debates[debate_id] = DebateRelay(debate_id)
        # Counted before any await: a concurrent leave() of the last other socket then keeps this relay (and its
        # subscription) instead of dropping it while we wait, which left joiners on an orphaned relay that never
        # received anything (bench/: 284 of 5000 clients in one run).
        relay.sockets[audience].add(sock)
        if sock.participant_id is not None:
            relay.citizens.setdefault(sock.participant_id, set()).add(sock)
        try:
            async with relay.joining:
                if relay.reader is None:
                    relay.channel = await self.layer.new_channel(prefix=f"relay.{debate_id}.")
                    await self.layer.group_add(groups.debate_group(debate_id), relay.channel)
                    relay.reader = self.loop.create_task(self._read(relay))
        except BaseException:
            self._forget(relay, audience, sock)
            raise
        await self._presence_changed(relay)

    async def leave(self, debate_id: int, audience: str, sock: Socket) -> None:
        relay = self.debates.get(debate_id)
        if relay is None:
            return
        self._forget(relay, audience, sock)
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

    async def presence_total(self, debate_id: int) -> int:
        """Connected browsers for a debate over every process (Redis), or in this one."""
        if self.redis is None:
            return self.local_count(debate_id)
        try:
            counts = await self.redis.hgetall(groups.presence_key(debate_id))
            total = 0
            for proc, n in counts.items():
                proc = proc.decode()
                if proc == PROCESS_ID or await self.redis.exists(groups.process_alive_key(proc)):
                    total += int(n)
            return total
        except Exception:
            log.warning("presence read failed", exc_info=True)
            return self.local_count(debate_id)

    async def _presence_changed(self, relay: DebateRelay) -> None:
        if self.redis is not None:
            try:
                await self.redis.hset(groups.presence_key(relay.debate_id), PROCESS_ID, relay.count())
                await self.redis.set(groups.process_alive_key(PROCESS_ID), 1, ex=30)
                if self.heartbeat is None:
                    self.heartbeat = self.loop.create_task(self._beat())
            except Exception:
                log.warning("presence write failed", exc_info=True)
        from .publish import coalescer

        await coalescer.mark_async(relay.debate_id, {"presence"})

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(10)
            try:
                await self.redis.set(groups.process_alive_key(PROCESS_ID), 1, ex=30)
            except Exception:
                log.warning("heartbeat failed", exc_info=True)

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
                send_eagerly(sock.send_frame(NUDGE_FRAME), sockets, sock)

    async def deliver(self, relay: DebateRelay, frames: dict[str, list[list[Any]]]) -> None:
        """Send each audience's fragments, joined once, to every socket of this relay in that audience."""
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
            if not sockets:
                continue
            text = "".join(html for _key, _v, html in fragments)
            frame = None
            for sock in list(sockets):
                if sock.write_frame is not None:
                    if frame is None:
                        frame = wire.text_frame(text)
                    sock.write_frame(frame)
                else:
                    send_eagerly(sock.send_frame(text), sockets, sock)

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


def send_eagerly(coro: Any, sockets: set, sock: Any) -> None:
    """Run a socket send now, without a task, as far as it goes without waiting.

    Under daphne a send never waits, so the whole broadcast runs without creating a task per socket. Servers with
    write backpressure (uvicorn) may make a send wait for a slow client: only that send is handed to a task, so one
    slow phone never holds up the broadcast for the others.
    """
    try:
        awaited = coro.send(None)
    except StopIteration:
        return
    except Exception:  # a socket closing mid-broadcast must not stop the others
        sockets.discard(sock)
        return
    asyncio.get_running_loop().create_task(_finish_send(coro, awaited, sockets, sock))


async def _finish_send(coro: Any, awaited: Any, sockets: set, sock: Any) -> None:
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


_relays: dict[asyncio.AbstractEventLoop, Relay] = {}


def relay_for_loop() -> Relay:
    loop = asyncio.get_running_loop()
    relay = _relays.get(loop)
    if relay is None:
        for stale in [lp for lp in _relays if lp.is_closed()]:
            _relays.pop(stale, None)
        relay = _relays[loop] = Relay(loop)
    return relay


def existing_relay(loop: asyncio.AbstractEventLoop | None) -> Relay | None:
    return _relays.get(loop) if loop is not None else None


Renderer = Callable[..., dict[str, list[list[Any]]]]
