"""One runtime per event loop: the relay, the coalescer and the Redis client live/ uses on that loop.

A server process has one loop, hence one runtime. Tests start a new loop per test and so get a fresh runtime each
time, with nothing to reset by hand. Code on the loop calls `current()`; sync code hands coroutines to the server
loop (live.runtime.run_on_server_loop) and calls `current()` there.
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings

from .coalesce import Coalescer
from .relay import Relay


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
