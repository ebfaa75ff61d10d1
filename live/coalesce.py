"""Coalescing of hot counters (votes, upvotes, presence): marks make widgets dirty; a per-debate flusher renders
and broadcasts them at most every LIVE_FLUSH_INTERVAL seconds (longer for large audiences: see `interval`). With
Redis one process across the cluster is elected per flush (SET NX, released in the atomic step where its flush
takes the dirty widgets), so coalescing holds over several processes. The flusher always runs after the last mark, so the final count is always sent.

When the marks stop (a burst is over: none for LIVE_FLUSH_INTERVAL), the flush does not wait for the rest of a long
interval: it happens then, or half an interval after the previous flush if that is later. So in front of 17,000
sockets (an interval of 1.7 s) a burst's final count leaves within about 0.85 s of its last vote, while the burst
itself costs one flush per interval; a trickle of marks costs at most two."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from channels.db import database_sync_to_async
from django.conf import settings

from . import groups, hooks, registry
from .runtime import PROCESS_ID, run_on_server_loop

if TYPE_CHECKING:
    from .process import Runtime

log = logging.getLogger(__name__)

# Safety expiry, beyond the flush's interval, if the elected flusher dies (kill -9); it deletes the lock itself when
# its flush starts. (Below the interval, the lock expired before its flush: a mark elected a second flusher, and a debate in
# front of thousands was flushed about every second whatever its interval.)
LOCK_TTL_MS = 1000
RETRY_DELAY = 0.5  # seconds between attempts of a flush that failed (Redis or the database unreachable)
# A debate's flush timers and its last flush time are forgotten this long after its last flush (its timers are a
# few seconds long at most); looked at once this many debates are remembered, and at most once a minute (a process
# flushing a thousand busy debates would otherwise scan them all at every flush).
FORGET_AFTER = 300.0
FORGET_ABOVE = 1000
SWEEP_EVERY = 60.0


class Coalescer:
    """One per runtime (event loop)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.local_dirty: dict[int, set[str]] = {}
        self.scheduled: set[int] = set()
        self.flushing: set[asyncio.Task] = set()
        self.elected: set[int] = set()  # debates whose flush lock this process holds, flush pending
        self.watching: set[int] = set()  # debates whose lock another process holds, recheck pending
        # The flush timers of a debate carry its generation; a flush starts the next one (a timer of a cycle already
        # flushed does nothing).
        self.generation: dict[int, int] = {}
        self.last_mark: dict[int, float] = {}  # loop time of the last mark, for debates this process is to flush
        self.last_flush: dict[int, float] = {}  # loop time the last flush of a debate started here
        self.quiet_check: set[int] = set()  # debates with a check pending for the end of their marks
        self.next_sweep = 0.0  # loop time from which _forget_idle may run again

    def mark(self, debate_id: int, keys: set[str]) -> None:
        """From a sync thread: mark on this runtime's loop (which must be the server loop)."""
        run_on_server_loop(self.mark_async(debate_id, keys), wait=False)

    async def mark_async(self, debate_id: int, keys: set[str]) -> None:
        """Mark these widgets dirty; they go out with the debate's next flush."""
        loop = self.rt.loop
        redis = self.rt.redis
        if redis is not None:
            interval = self.interval(debate_id)
            try:
                # One round trip for both (a mark per upvote of a burst: each round trip costs the loop ~0.15 ms).
                pipe = redis.pipeline(transaction=False)
                if keys:
                    pipe.sadd(groups.dirty_key(debate_id), *keys)
                pipe.set(groups.flush_lock_key(debate_id), PROCESS_ID, nx=True, px=int(interval * 1000) + LOCK_TTL_MS)
                elected = (await pipe.execute())[-1]
            except Exception:
                log.warning("coalescing via Redis failed; flushing locally")
                self.rt.redis_trouble()
                self.local_dirty.setdefault(debate_id, set()).update(keys)
                if debate_id not in self.scheduled:
                    self.scheduled.add(debate_id)
                    self._plan(debate_id)
                self._noted(debate_id)
                return
            if elected:
                self.elected.add(debate_id)
                self._plan(debate_id)
            elif keys and debate_id not in self.watching and debate_id not in self.elected:
                # Another process holds the lock; should it die before flushing (kill -9), the lock expires and
                # nobody would pick these marks up if no new mark came: look again once it has expired.
                self.watching.add(debate_id)
                loop.call_later(interval + LOCK_TTL_MS / 1000 + 0.05, self._recheck, debate_id)
            if debate_id in self.elected:
                self._noted(debate_id)
            return
        self.local_dirty.setdefault(debate_id, set()).update(keys)
        if debate_id not in self.scheduled:
            self.scheduled.add(debate_id)
            self._plan(debate_id)
        self._noted(debate_id)

    def _plan(self, debate_id: int) -> None:
        """This process is to flush this debate: at the interval at the latest."""
        generation = self.generation.get(debate_id, 0)
        self.rt.loop.call_later(self.interval(debate_id), self._spawn, debate_id, generation)

    def _noted(self, debate_id: int) -> None:
        """A mark for a debate this process is to flush: when the marks stop, the flush need not wait (_quiet)."""
        self.last_mark[debate_id] = self.rt.loop.time()
        if debate_id not in self.quiet_check:
            self.quiet_check.add(debate_id)
            self.rt.loop.call_later(settings.LIVE_FLUSH_INTERVAL, self._quiet, debate_id)

    def _quiet(self, debate_id: int) -> None:
        self.quiet_check.discard(debate_id)
        if debate_id not in self.elected and debate_id not in self.scheduled:
            return  # flushed meanwhile
        loop, quiet = self.rt.loop, settings.LIVE_FLUSH_INTERVAL
        now = loop.time()
        since = now - self.last_mark.get(debate_id, now - quiet)
        if since < quiet * 0.99:  # marks still coming: look again when they may have stopped
            self.quiet_check.add(debate_id)
            loop.call_later(quiet - since, self._quiet, debate_id)
            return
        earliest = self.last_flush.get(debate_id, float("-inf")) + self.interval(debate_id) / 2
        generation = self.generation.get(debate_id, 0)
        loop.call_later(max(0.0, earliest - now), self._spawn, debate_id, generation)

    def _recheck(self, debate_id: int) -> None:
        self.watching.discard(debate_id)
        self._track(self.rt.loop.create_task(self.mark_async(debate_id, set())))

    def _track(self, task: asyncio.Task) -> None:
        self.flushing.add(task)
        task.add_done_callback(self.flushing.discard)

    def interval(self, debate_id: int) -> float:
        audience = self.rt.relay.local_count(debate_id)
        return max(settings.LIVE_FLUSH_INTERVAL, settings.LIVE_FLUSH_SECONDS_PER_1000_CLIENTS * audience / 1000)

    def _spawn(self, debate_id: int, generation: int | None = None) -> None:
        if generation is not None and generation != self.generation.get(debate_id, 0):
            return  # the cycle this timer was for is flushed
        if debate_id in self.elected or debate_id in self.scheduled:  # not already flushed (flush_all)
            self._track(self.rt.loop.create_task(self.flush(debate_id)))

    async def flush_all(self) -> None:
        """Flush now every debate this process was to flush (a draining process hands nothing over and leaves no
        lock behind)."""
        for debate_id in list(self.scheduled | self.elected | set(self.local_dirty)):
            await self.flush(debate_id)
        if self.flushing:
            await asyncio.gather(*self.flushing, return_exceptions=True)

    async def flush(self, debate_id: int) -> None:
        redis = self.rt.redis
        self.generation[debate_id] = self.generation.get(debate_id, 0) + 1
        self.last_flush[debate_id] = self.rt.loop.time()
        if len(self.last_flush) > FORGET_ABOVE and self.last_flush[debate_id] >= self.next_sweep:
            self.next_sweep = self.last_flush[debate_id] + SWEEP_EVERY
            self._forget_idle()
        self.last_mark.pop(debate_id, None)
        keys: set[str] = self.local_dirty.pop(debate_id, set())
        self.scheduled.discard(debate_id)
        held_lock = debate_id in self.elected
        self.elected.discard(debate_id)
        redis_ok = True
        listened_entries = None
        if redis is not None:
            try:
                # One round trip: the dirty widgets, who listens (what the render needs to know) and, when this
                # process holds it, the lock's release. Atomic (MULTI): a mark that comes after it finds the lock
                # free and elects the next flush, whose SPOP takes its widgets; one that comes before is popped
                # here. So no mark is left behind and no second round trip is needed after the render.
                pipe = redis.pipeline(transaction=held_lock)
                pipe.spop(groups.dirty_key(debate_id), 10_000)
                pipe.hgetall(groups.audiences_key(debate_id))
                if held_lock:
                    pipe.delete(groups.flush_lock_key(debate_id))
                popped, listened_entries, *_released = await pipe.execute()
                keys |= {k.decode() for k in popped or []}
            except Exception:
                log.warning("reading dirty widgets from Redis failed; flushing what this process marked")
                redis_ok = False
        try:
            if keys:
                await self.render_and_send(debate_id, keys, listened_entries)
        except Exception:
            # Kept dirty and retried: the final count must get out once the layer (Redis) or database is back.
            log.warning("flush failed for debate %s; retrying", debate_id, exc_info=True)
            self.retry(debate_id, keys)
            redis_ok = False
        if not redis_ok:
            self.rt.redis_trouble()

    async def publish_soon(self, debate_id: int, keys: set[str]) -> None:
        """publish.announce(soon=True): render and broadcast these widgets now, in their own frame, not at the next
        flush. If that fails (Redis or the database unreachable), they are kept dirty and retried as a failed
        flush is."""
        task = asyncio.current_task()
        if task is not None:
            self._track(task)  # a draining process waits for it (flush_all)
        try:
            await self.render_and_send(debate_id, keys)
        except Exception:
            log.warning("publishing %s for debate %s failed; retrying", sorted(keys), debate_id, exc_info=True)
            self.retry(debate_id, keys)
            self.rt.redis_trouble()

    async def render_and_send(self, debate_id: int, keys: set[str], listened_entries: dict | None = None) -> None:
        """Render these widgets (in a worker thread) for the audiences someone listens to and broadcast them to every
        process (`listened_entries`: the audiences hash, when the caller has just read it)."""
        relay = self.rt.relay
        presence = await relay.presence_total(debate_id) if "presence" in keys else None
        # Only what someone listens to (a role in a language): six languages no longer cost six renders.
        audiences = await relay.listened(debate_id, listened_entries)
        if audiences:
            frames = await database_sync_to_async(registry.render, thread_sensitive=False)(
                debate_id, keys, audiences, presence
            )
            hooks.notify(debate_id, frames)
            await self.rt.layer.group_send(groups.debate_group(debate_id), {"type": "live.frames", "frames": frames})
        if presence is not None:
            await database_sync_to_async(registry.record_presence, thread_sensitive=False)(debate_id, presence)

    def _forget_idle(self) -> None:
        """Forget the debates flushed long ago with nothing pending: a process serving debate after debate for
        months would otherwise keep an entry for each."""
        horizon = self.rt.loop.time() - FORGET_AFTER
        busy = self.scheduled | self.elected | self.watching | self.quiet_check | set(self.local_dirty)
        for debate_id in [d for d, at in self.last_flush.items() if at < horizon and d not in busy]:
            del self.last_flush[debate_id]
            self.generation.pop(debate_id, None)
            self.last_mark.pop(debate_id, None)

    def retry(self, debate_id: int, keys: set[str]) -> None:
        """Flush these keys from this process again after RETRY_DELAY (or the interval, if longer)."""
        self.local_dirty.setdefault(debate_id, set()).update(keys)
        if debate_id not in self.scheduled:
            self.scheduled.add(debate_id)
            self.rt.loop.call_later(max(RETRY_DELAY, self.interval(debate_id)), self._spawn, debate_id)
