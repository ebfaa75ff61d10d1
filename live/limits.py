"""Websocket connect limits: a token bucket per client address, and a cap of sockets per process.

A hall's Wi-Fi puts hundreds of citizens behind one address, so the bucket is generous: LIVE_CONNECT_BURST
connects at once, then LIVE_CONNECT_PER_SECOND (defaults 300 and 30/s: a 1,000-person hall behind one address is
in within 25 s, 2,100 within a minute), while one machine opening thousands of sockets in seconds is refused.
With Redis the bucket is shared by every process (one atomic script per connect); otherwise, or while Redis is
unreachable, it is kept in this process. Addresses are kept hashed, for no longer than the bucket takes to refill.
The client address is the one hub.proxies derived (X-Forwarded-For believed only from TRUSTED_PROXIES).
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from django.conf import settings

log = logging.getLogger(__name__)

# KEYS[1] bucket; ARGV burst, rate per second. Redis' own clock, so every process agrees.
BUCKET_SCRIPT = """
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local b = redis.call('HMGET', KEYS[1], 't', 'ts')
local tokens = tonumber(b[1]) or burst
local ts = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local ok = 0
if tokens >= 1 then
  tokens = tokens - 1
  ok = 1
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return ok
"""


def address_key(address: str) -> str:
    digest = hashlib.blake2b(address.encode(), key=settings.SECRET_KEY.encode()[:64], digest_size=12).hexdigest()
    return f"{settings.REDIS_PREFIX}:live:connects:{digest}"


class ConnectLimiter:
    """One per runtime (event loop)."""

    MAX_LOCAL_BUCKETS = 50_000

    def __init__(self, redis: Any) -> None:
        self.redis = redis
        self.script = redis.register_script(BUCKET_SCRIPT) if redis is not None else None
        self.local: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    async def allow(self, address: str | None) -> bool:
        """Take one connect from this address's bucket; False when it is empty."""
        burst, rate = settings.LIVE_CONNECT_BURST, settings.LIVE_CONNECT_PER_SECOND
        if burst <= 0 or address is None:
            return True
        key = address_key(address)
        if self.script is not None:
            try:
                return bool(await self.script(keys=[key], args=[burst, rate]))
            except Exception:
                log.warning("connect limit via Redis failed; counting in this process", exc_info=True)
        return self._allow_here(key, burst, rate)

    def _allow_here(self, key: str, burst: int, rate: float) -> bool:
        now = time.monotonic()
        tokens, at = self.local.get(key, (float(burst), now))
        tokens = min(float(burst), tokens + (now - at) * rate)
        ok = tokens >= 1
        if ok:
            tokens -= 1
        if len(self.local) >= self.MAX_LOCAL_BUCKETS and key not in self.local:
            # Forget buckets that have refilled anyway (they would start full again).
            full_after = burst / rate if rate > 0 else 0
            self.local = {k: v for k, v in self.local.items() if now - v[1] < full_after}
        self.local[key] = (tokens, now)
        return ok
