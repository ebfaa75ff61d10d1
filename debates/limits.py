"""Abuse limits: how many of an action one participant, account or address may do in a window of time.

One small module for every limit (views, services, the hot path and websockets may call it). Counters live in
Redis when settings.REDIS_URL is set, so every process of an installation shares them, else in this process.
Keys are hashed (an address is never stored in clear) and expire with their window.

Rules are "count/seconds", configurable as a whole through settings.RATE_LIMITS (environment: RATE_LIMITS, e.g.
"question=5/60,participant_per_address=1200/60"). A hall's Wi-Fi puts hundreds of citizens behind one address, so
per-address limits are generous and count what a crowd does not do (new participants, failed guesses); what one
person does (questions, arguments, renames) is counted per participant.

Counting never blocks the service: if Redis is unreachable, the limit is not applied (logged), rather than every
citizen being refused.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from .errors import ServiceError

log = logging.getLogger(__name__)

DEFAULT_RULES = {
    "question": "5/60",  # questions per participant per minute
    "argument": "5/60",  # arguments per participant per minute
    "rename": "5/60",  # name changes per participant per minute
    "search": "30/60",  # searches of the citizen page's questions per participant per minute (the box is debounced)
    "search_per_address": "600/60",  # the same for readers who never took part, per address (a hall shares one)
    "participant_per_address": "1200/60",  # new participants per address per minute: a 1,000-person hall gets in
    "code_guess": "30/60",  # failed join-code guesses per address per minute
    "screen_guess": "10/60",  # failed screen-secret guesses per address per minute
    "voter_code_guess": "10/900",  # wrong voter codes per address and debate per quarter of an hour (2^50 codes)
    "recovery_guess": "10/900",  # wrong recovery codes per address and debate per quarter of an hour
    "login_failure": "10/900",  # failed sign-ins counted over 15 minutes (for the growing delay, never a lockout)
}


@dataclass(frozen=True)
class Rule:
    name: str
    limit: int
    window: int  # seconds


class RateLimited(ServiceError):
    """Too many in too little time: answered 429 with a translated message (what was typed stays in the form)."""

    def __init__(self, message: str | None = None, retry_after: int = 60) -> None:
        super().__init__(
            message or _("Too many attempts in a short time. Please wait a moment and try again."), status=429
        )
        self.retry_after = retry_after


def rule(name: str) -> Rule:
    configured = {**DEFAULT_RULES, **getattr(settings, "RATE_LIMITS", {})}
    count, _slash, seconds = configured[name].partition("/")
    return Rule(name, int(count), int(seconds or 60))


def _digest(key: Any) -> str:
    # Hashed with the secret key: a counter's name reveals neither the address nor the participant.
    return hashlib.blake2b(str(key).encode(), key=settings.SECRET_KEY.encode()[:64], digest_size=12).hexdigest()


# --- storage ------------------------------------------------------------------------------------------------------
class _Memory:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[str, tuple[int, float]] = {}  # key → (count, expires at)

    def incr(self, key: str, window: int, amount: int) -> int:
        now = time.monotonic()
        with self.lock:
            if len(self.counts) > 100_000:  # a flood of distinct keys: drop the expired ones
                self.counts = {k: v for k, v in self.counts.items() if v[1] > now}
            count, expires = self.counts.get(key, (0, now + window))
            if expires <= now:
                count, expires = 0, now + window
            count += amount
            self.counts[key] = (count, expires)
            return count

    def incr_many(self, keys: list[str], window: int) -> list[int]:
        return [self.incr(key, window, 1) for key in keys]

    def reset(self, key: str) -> None:
        with self.lock:
            self.counts.pop(key, None)

    def stamp(self, key: str, window: int) -> None:
        self.incr(key, window, 0)
        with self.lock:
            self.counts[key] = (int(time.time()), self.counts[key][1])

    def last(self, key: str) -> int:
        with self.lock:
            value, expires = self.counts.get(key, (0, 0.0))
            return value if expires > time.monotonic() else 0

    def clear(self) -> None:
        with self.lock:
            self.counts.clear()


class _Redis:
    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def incr(self, key: str, window: int, amount: int) -> int:
        pipe = self.client.pipeline()
        pipe.incrby(key, amount)
        pipe.expire(key, window, nx=True)
        count, _ok = pipe.execute()
        return int(count)

    def incr_many(self, keys: list[str], window: int) -> list[int]:
        """One round trip for a batch; a key named twice gets its two successive counts."""
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.incrby(key, 1)
            pipe.expire(key, window, nx=True)
        return [int(count) for count in pipe.execute()[::2]]

    def reset(self, key: str) -> None:
        self.client.delete(key)

    def stamp(self, key: str, window: int) -> None:
        self.client.set(key, int(time.time()), ex=window)

    def last(self, key: str) -> int:
        return int(self.client.get(key) or 0)


_memory = _Memory()
_redis: dict[str, _Redis] = {}


def _store() -> _Memory | _Redis:
    url = settings.REDIS_URL
    if not url:
        return _memory
    if url not in _redis:
        _redis[url] = _Redis(url)
    return _redis[url]


def _key(r: Rule, key: Any) -> str:
    return f"{settings.REDIS_PREFIX}:limit:{r.name}:{_digest(key)}"


# --- the API ------------------------------------------------------------------------------------------------------
def count(name: str, key: Any, amount: int = 1) -> int:
    """Count `amount` more for key under rule `name`; the count in the current window (0 if storage failed)."""
    r = rule(name)
    try:
        return _store().incr(_key(r, key), r.window, amount)
    except Exception as exc:  # Redis down: do not refuse people because the counter is unreachable
        log.warning("rate limit %s not applied: %r", name, exc)
        return 0


def hit_many(name: str, keys: list[Any]) -> list[bool]:
    """`hit` for a batch of keys in one storage round trip (a burst of requests served together)."""
    r = rule(name)
    try:
        counts = _store().incr_many([_key(r, key) for key in keys], r.window)
    except Exception as exc:  # Redis down: do not refuse people because the counter is unreachable
        log.warning("rate limit %s not applied: %r", name, exc)
        return [True] * len(keys)
    return [count <= r.limit for count in counts]


def peek(name: str, key: Any) -> int:
    return count(name, key, 0)


def hit(name: str, key: Any) -> bool:
    """Count one; whether it is still within the limit."""
    return count(name, key) <= rule(name).limit


def over(name: str, key: Any) -> bool:
    """Whether key already used up its allowance (without counting): for limits on failures only."""
    return peek(name, key) >= rule(name).limit


def refusal(name: str, message: str | None = None) -> RateLimited:
    """The refusal of a request over rule `name`: its message (or the general one) and when to try again."""
    return RateLimited(message, retry_after=rule(name).window)


def enforce(name: str, key: Any, message: str | None = None) -> None:
    """Count one, or raise RateLimited when over the limit."""
    if not hit(name, key):
        raise refusal(name, message)


def refuse_while_over(name: str, key: Any, message: str) -> None:
    """Before a typed secret is checked: raise RateLimited once key used up its failures under rule `name` (only
    failures are counted, with `count`, so a right answer costs nothing)."""
    if over(name, key):
        raise refusal(name, message)


def reset(name: str, key: Any) -> None:
    try:
        _store().reset(_key(rule(name), key))
    except Exception as exc:
        log.warning("rate limit %s not reset: %r", name, exc)


def growing_delay(failures: int, *, free: int = 3, cap: int = 60) -> int:
    """Seconds to wait before the next attempt after `failures` recent failures: none for the first `free`, then
    1, 2, 4, 8… up to cap. A delay, never a lockout: once it has passed, the right answer is accepted."""
    return 0 if failures < free else min(cap, 2 ** (failures - free))


def record_failure(name: str, key: Any) -> int:
    """Count a failure of key under rule `name` and remember when it happened; the count in the window."""
    r = rule(name)
    try:
        _store().stamp(_key(r, key) + ":last", r.window)
    except Exception as exc:
        log.warning("rate limit %s: failure time not stored: %r", name, exc)
    return count(name, key)


def seconds_to_wait(name: str, key: Any, *, free: int = 3, cap: int = 60) -> int:
    """How long key must still wait, given its recent failures under rule `name` (0: it may try now)."""
    try:
        last = _store().last(_key(rule(name), key) + ":last")
    except Exception as exc:
        log.warning("rate limit %s not applied: %r", name, exc)
        return 0
    if not last:
        return 0
    delay = growing_delay(peek(name, key), free=free, cap=cap)
    return max(0, int(last + delay - time.time() + 0.999))


def clear_failures(name: str, key: Any) -> None:
    reset(name, key)
    try:
        _store().reset(_key(rule(name), key) + ":last")
    except Exception as exc:
        log.warning("rate limit %s not reset: %r", name, exc)


# --- the client's address -----------------------------------------------------------------------------------------
def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in settings.TRUSTED_PROXIES)


def client_address(request: Any) -> str:
    """The client's address: REMOTE_ADDR, unless it is a trusted proxy (settings.TRUSTED_PROXIES), then the
    right-most address of X-Forwarded-For that is not one of them. Never a header sent by anyone else: a client
    could write any address there."""
    address = request.META.get("REMOTE_ADDR", "") or ""
    if not _trusted(address):
        return address
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    for hop in reversed(forwarded):
        if not _trusted(hop):
            return hop
    return forwarded[0] if forwarded else address
