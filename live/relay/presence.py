"""The relay's share of presence (connected browsers per debate over every process) and of listened audiences
(which role × language audiences have sockets here, so that a broadcast renders only those)."""

from __future__ import annotations

import asyncio
import json
import logging
import time

from .. import groups, hooks
from ..runtime import PROCESS_ID
from .debate import DebateRelay, RelayParts

log = logging.getLogger("live.relay")  # one logger for the whole relay, whichever module logs


class PresenceMixin(RelayParts):
    heartbeat: asyncio.Task | None

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

    async def listened(self, debate_id: int, entries: dict | None = None) -> tuple[str, ...]:
        """The audiences to render for a broadcast of this debate: those with sockets in some process (all of them
        when observers listen in-process, or when Redis cannot say). `entries`: the audiences hash, when the caller
        has just read it (the coalescer reads it with the dirty widgets)."""
        if hooks.every_audience():  # tests observe every audience
            return groups.AUDIENCES
        if self.redis is None:
            relay = self.debates.get(debate_id)
            return tuple(relay.audiences()) if relay else ()
        if entries is None:
            try:
                entries = await self.redis.hgetall(groups.audiences_key(debate_id))
            except Exception:
                return groups.AUDIENCES
        return groups.listened_from(entries)
