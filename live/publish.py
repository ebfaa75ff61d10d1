"""How the domain announces a change. Services call `announce`; nothing else in debates/ touches live/.

- `announce(debate_id, keys)` renders the widgets once per audience right after the transaction commits and
  broadcasts them.
- `nudge(debate_id, participant_ids)` tells those citizens' pages to fetch their own state again.
- `announce(debate_id, keys, hot=True)` (votes, upvotes) only marks the widgets dirty; a per-debate flusher
  renders and broadcasts them at most every LIVE_FLUSH_INTERVAL seconds (longer for large audiences). With Redis
  one process across the cluster is elected per flush (SET NX), so coalescing holds over several processes.
  The flusher always runs after the last mark, so the final count is always sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from . import groups, registry
from .relay import relay_for_loop
from .runtime import PROCESS_ID, run_on_server_loop

log = logging.getLogger(__name__)

# Test hook: callables receiving (debate_id, frames) for every broadcast this process sends.
listeners: list[Callable[[int, registry.Frames], None]] = []

LOCK_TTL_MS = 5000  # safety expiry if the elected flusher dies; it deletes the lock itself when done


def announce(debate_id: int, keys: Iterable[str], *, hot: bool = False) -> None:
    """Publish widgets after the current transaction commits (at once outside a transaction).

    A failure to publish is logged, never raised: the write is already saved and the next snapshot heals.
    """
    keys = set(keys)
    if hot:
        transaction.on_commit(lambda: coalescer.mark(debate_id, keys), robust=True)
    else:
        transaction.on_commit(lambda: publish_now(debate_id, keys), robust=True)


def publish_now(debate_id: int, keys: set[str], presence: int | None = None) -> None:
    """Render in this (sync) thread and broadcast to every process. Never call on the event loop thread."""
    frames = registry.render(debate_id, keys, groups.AUDIENCES, presence)
    send_frames(debate_id, frames)


def send_frames(debate_id: int, frames: registry.Frames) -> None:
    for listener in listeners:
        listener(debate_id, frames)
    _group_send(debate_id, {"type": "live.frames", "frames": frames})


def nudge(debate_id: int, participant_ids: Iterable[int | None]) -> None:
    """After the current transaction commits, tell these citizens' own pages that their personal state changed
    (their question's fate, being muted): each page then fetches it (GET /d/<code>/me). The message names
    participants by id only and reaches only their sockets; nothing personal travels in it."""
    ids = sorted({pid for pid in participant_ids if pid})
    if ids:
        transaction.on_commit(lambda: _group_send(debate_id, {"type": "live.nudge", "participants": ids}),
                              robust=True)


def _group_send(debate_id: int, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if not run_on_server_loop(layer.group_send(groups.debate_group(debate_id), message)):
        if settings.REDIS_URL:  # other processes may hold the sockets
            async_to_sync(layer.group_send)(groups.debate_group(debate_id), message)
        # In-memory layer and no server loop in this process: no socket can be listening.


class Coalescer:
    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.local_dirty: dict[int, set[str]] = {}
        self.scheduled: set[int] = set()

    def mark(self, debate_id: int, keys: set[str]) -> None:
        """From a sync thread. Without a server loop (commands, plain tests) publish at once."""
        if not run_on_server_loop(self.mark_async(debate_id, keys), wait=False):
            publish_now(debate_id, keys)

    async def mark_async(self, debate_id: int, keys: set[str]) -> None:
        relay = relay_for_loop()
        loop = asyncio.get_running_loop()
        if loop is not self.loop:  # flushes scheduled on a loop that has gone (tests, reloads) will never run
            self.loop, self.local_dirty, self.scheduled = loop, {}, set()
        if relay.redis is not None:
            try:
                if keys:
                    await relay.redis.sadd(groups.dirty_key(debate_id), *keys)
                elected = await relay.redis.set(groups.flush_lock_key(debate_id), PROCESS_ID, nx=True, px=LOCK_TTL_MS)
            except Exception:
                log.warning("coalescing via Redis failed; flushing locally", exc_info=True)
                elected = False
                self.local_dirty.setdefault(debate_id, set()).update(keys)
                if debate_id not in self.scheduled:
                    self.scheduled.add(debate_id)
                    loop.call_later(self.interval(relay, debate_id), self._spawn, debate_id)
            if elected:
                loop.call_later(self.interval(relay, debate_id), self._spawn, debate_id)
            return
        self.local_dirty.setdefault(debate_id, set()).update(keys)
        if debate_id not in self.scheduled:
            self.scheduled.add(debate_id)
            loop.call_later(self.interval(relay, debate_id), self._spawn, debate_id)

    @staticmethod
    def interval(relay: Any, debate_id: int) -> float:
        audience = relay.local_count(debate_id)
        return max(settings.LIVE_FLUSH_INTERVAL, settings.LIVE_FLUSH_SECONDS_PER_1000_CLIENTS * audience / 1000)

    def _spawn(self, debate_id: int) -> None:
        asyncio.get_running_loop().create_task(self.flush(debate_id))

    async def flush(self, debate_id: int) -> None:
        relay = relay_for_loop()
        keys: set[str] = self.local_dirty.pop(debate_id, set())
        self.scheduled.discard(debate_id)
        try:
            if relay.redis is not None:
                popped = await relay.redis.spop(groups.dirty_key(debate_id), 10_000)
                keys |= {k.decode() for k in popped or []}
            if keys:
                presence = await relay.presence_total(debate_id) if "presence" in keys else None
                frames = await database_sync_to_async(registry.render, thread_sensitive=False)(
                    debate_id, keys, groups.AUDIENCES, presence
                )
                if presence is not None:
                    await database_sync_to_async(registry.record_presence, thread_sensitive=False)(debate_id, presence)
                for listener in listeners:
                    listener(debate_id, frames)
                await relay.layer.group_send(groups.debate_group(debate_id), {"type": "live.frames", "frames": frames})
        except Exception:
            log.exception("flush failed for debate %s", debate_id)
        finally:
            if relay.redis is not None:
                try:
                    await relay.redis.delete(groups.flush_lock_key(debate_id))
                    # Marks that arrived while we held the lock found it taken: pick them up.
                    if await relay.redis.scard(groups.dirty_key(debate_id)):
                        await self.mark_async(debate_id, set())
                except Exception:
                    log.warning("releasing flush lock failed", exc_info=True)


coalescer = Coalescer()
