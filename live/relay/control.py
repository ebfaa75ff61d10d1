"""The process's control channel (group live.control): revocations, drain requests and probes; closing sockets by
selector or all of them."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Callable
from typing import Any

from .. import groups
from .debate import RelayParts
from .sockets import CLOSE_REVOKED, _shut_quietly

log = logging.getLogger("live.relay")  # one logger for the whole relay, whichever module logs


class ControlMixin(RelayParts):
    control: asyncio.Task | None
    control_channel: str
    control_ready: asyncio.Lock
    probes: dict[str, asyncio.Future]
    control_listeners: list[Callable[[dict[str, Any]], None]]

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

        sockets = [sock for relay in self.debates.values() for sock in relay.all_sockets()]
        random.shuffle(sockets)
        for i, sock in enumerate(sockets):
            delay = spread * i / len(sockets) if spread else 0.0
            self.loop.call_later(delay, _shut_quietly, sock, code, reason)
        return len(sockets)
