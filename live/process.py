"""One runtime per event loop: the relay, the coalescer, the connect limiter and the Redis client live/ uses on
that loop.

A server process has one loop, hence one runtime. Tests start a new loop per test and so get a fresh runtime each
time, with nothing to reset by hand. Code on the loop calls `current()`; sync code hands coroutines to the server
loop (live.runtime.run_on_server_loop) and calls `current()` there.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings

from .coalesce import Coalescer
from .limits import ConnectLimiter
from .relay import Relay

log = logging.getLogger(__name__)

RECOVERY_POLL = 0.25  # seconds between pings while Redis is unreachable
PROBE_ATTEMPTS = 30  # of one second each: how long to wait for the layer to resubscribe after an outage


class Runtime:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.layer = get_channel_layer()
        self.redis: Any = None
        if settings.REDIS_URL:
            import redis.asyncio as aioredis

            # Blocking pool: during a connect storm callers wait for a free connection instead of failing with
            # MaxConnectionsError (measured by bench/: presence/coalescing errors and failed handshakes).
            pool = aioredis.BlockingConnectionPool.from_url(settings.REDIS_URL, max_connections=64, timeout=10)
            self.redis = aioredis.Redis(connection_pool=pool)
        self.relay = Relay(self)
        self.coalescer = Coalescer(self)
        self.limiter = ConnectLimiter(self.redis)
        self.draining = False  # set by live.drain: new sockets are told to reconnect elsewhere
        self.recovering: asyncio.Task | None = None

    def redis_trouble(self) -> None:
        """A Redis call failed. Pub/sub loses what is published while a subscriber is away, so once Redis answers
        again (and the layer has resubscribed) every local socket gets its widgets afresh (Relay.resync)."""
        if self.redis is not None and (self.recovering is None or self.recovering.done()):
            self.recovering = self.loop.create_task(self._recover())

    async def _recover(self) -> None:
        while True:
            await asyncio.sleep(RECOVERY_POLL)
            try:
                await self.redis.ping()
                break
            except Exception:
                continue
        # Published messages reach this process again only once the layer has resubscribed: wait until a probe
        # sent to this process's own control channel comes back.
        for _ in range(PROBE_ATTEMPTS):
            if await self.relay.probe(timeout=1.0):
                break
        log.warning("Redis is back: refreshing every local socket")
        await self.relay.resync()


_runtimes: dict[asyncio.AbstractEventLoop, Runtime] = {}


def current() -> Runtime:
    """The runtime of the running loop (made on first use)."""
    loop = asyncio.get_running_loop()
    rt = _runtimes.get(loop)
    if rt is None:
        for stale in [lp for lp in _runtimes if lp.is_closed()]:
            _runtimes.pop(stale, None)
        rt = _runtimes[loop] = Runtime(loop)
    return rt


def existing(loop: asyncio.AbstractEventLoop | None) -> Runtime | None:
    return _runtimes.get(loop) if loop is not None else None
