"""Every channel-layer group and Redis key name used by the live transport is built here."""

from __future__ import annotations

import json
import time
from typing import Any

from django.conf import settings

ROLES = ("public", "screen", "moderators")
# An audience is a role in a language ("public.fr"): each is rendered once per event, whatever its size.
AUDIENCES = tuple(f"{role}.{code}" for role in ROLES for code, _name in settings.LANGUAGES)


def audience(role: str, language: str) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    return f"{role}.{language if language in codes else settings.LANGUAGE_CODE}"


def debate_group(debate_id: int) -> str:
    """One group per debate; its members are one relay channel per server process, not one per socket."""
    return f"debate.{debate_id}"


def dirty_key(debate_id: int) -> str:
    return f"{settings.REDIS_PREFIX}:live:dirty:{debate_id}"


def flush_lock_key(debate_id: int) -> str:
    return f"{settings.REDIS_PREFIX}:live:flushlock:{debate_id}"


def presence_key(debate_id: int) -> str:
    return f"{settings.REDIS_PREFIX}:live:presence:{debate_id}"


def audiences_key(debate_id: int) -> str:
    """Hash: process id -> JSON {"t": written at, "a": [audiences with sockets in that process]}."""
    return f"{settings.REDIS_PREFIX}:live:audiences:{debate_id}"


# An entry of audiences_key older than this is a dead process's (live processes rewrite theirs every 10 s).
AUDIENCES_FRESH_SECONDS = 35.0


def listened_from(entries: dict[Any, Any], now: float | None = None) -> tuple[str, ...]:
    """The audiences some live process has sockets in (sorted), from the hash of audiences_key (bytes or str
    values); entries older than AUDIENCES_FRESH_SECONDS before `now` (default: now) are dead processes'."""
    now = time.time() if now is None else now
    listened: set[str] = set()
    for raw in entries.values():
        try:
            entry = json.loads(raw)
            if now - float(entry["t"]) < AUDIENCES_FRESH_SECONDS:
                listened.update(a for a in entry["a"] if a in AUDIENCES)
        except (ValueError, KeyError, TypeError):
            continue
    return tuple(sorted(listened))


def process_alive_key(process_id: str) -> str:
    return f"{settings.REDIS_PREFIX}:live:proc:{process_id}"


# Every server process's control channel is in this group: revocations and drain requests reach them all.
CONTROL_GROUP = "live.control"
