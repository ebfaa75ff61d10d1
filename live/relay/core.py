"""The Relay: one per runtime, a debate's sockets joining and leaving it, and the supervised readers."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from django.conf import settings

from .. import groups
from .control import ControlMixin
from .debate import DebateRelay
from .delivery import DeliveryMixin
from .presence import PresenceMixin
from .sockets import Socket

if TYPE_CHECKING:
    from ..process import Runtime

log = logging.getLogger("live.relay")  # one logger for the whole relay, whichever module logs

RESTART_DELAYS = (0.0, 0.1, 0.5, 2.0)  # a reader failing again and again backs off, never gives up


class Relay(PresenceMixin, DeliveryMixin, ControlMixin):
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
        participant_id = sock.participant_id
        mine = relay.citizens.get(participant_id) if participant_id is not None else None
        if mine is not None and participant_id is not None:
            mine.discard(sock)
            if not mine:
                relay.citizens.pop(participant_id, None)

    def local_count(self, debate_id: int) -> int:
        relay = self.debates.get(debate_id)
        return relay.count() if relay else 0

    def total_count(self) -> int:
        return sum(relay.count() for relay in self.debates.values())

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
