"""Every channel-layer group and Redis key name used by the live transport is built here."""

from __future__ import annotations

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


def process_alive_key(process_id: str) -> str:
    return f"{settings.REDIS_PREFIX}:live:proc:{process_id}"


# Every server process's control channel is in this group: revocations and drain requests reach them all.
CONTROL_GROUP = "live.control"
