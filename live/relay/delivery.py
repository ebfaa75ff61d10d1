"""Delivery: reading a debate's relay channel, writing each audience's fragments to its local sockets, nudges,
the resync after an outage, and the cached snapshot a connecting socket gets."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from channels.db import database_sync_to_async

from .. import registry, wire
from .debate import DebateRelay, RelayParts
from .sockets import CLOSE_ERROR, _shut_quietly, send_eagerly, write_or_shut

log = logging.getLogger("live.relay")  # one logger for the whole relay, whichever module logs

# Sent to a citizen's sockets when their own state changed: the page fetches it (static/js/live.js).
NUDGE_FRAME = '<div id="me-stale" hidden hx-swap-oob="true"></div>'

SNAPSHOT_MAX_AGE = 10.0  # seconds; older cached snapshots are rendered afresh from the database
MAX_DELTAS = 200  # item fragments kept per audience after its cached snapshot; more: the snapshot is rendered again


class DeliveryMixin(RelayParts):
    high_water: int

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
            sockets = relay.citizens.get(pid) or set()
            for sock in list(sockets):
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
