"""Rules every service shares: announcing what changed, the moderation log entry, and whether citizens may post
in a debate now."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.utils.translation import gettext as _

from live import publish

from ..errors import ServiceError
from ..models import (
    Debate,
    ModerationLog,
    Participant,
)
from .date_rules import dates_refusal

_announced: ContextVar[set[str] | None] = ContextVar("announced", default=None)


def announce(debate_id: int, keys: Iterable[str], *, hot: bool = False, soon: bool = False) -> None:
    """Every service announces the widgets it changed through here: live.publish broadcasts them after commit,
    and a caller inside `announced()` learns them too."""
    keys = set(keys)
    collected = _announced.get()
    if collected is not None:
        collected |= keys
    publish.announce(debate_id, keys, hot=hot, soon=soon)


def nudge(debate_id: int, participant_ids: Iterable[int | None]) -> None:
    publish.nudge(debate_id, participant_ids)


@contextmanager
def announced() -> Iterator[set[str]]:
    """The widget keys the services called inside the block announced: what a view renders in its own response,
    so the acting person sees exactly what everyone else is sent (no second list of keys to keep in step)."""
    keys: set[str] = set()
    token = _announced.set(keys)
    try:
        yield keys
    finally:
        _announced.reset(token)


def _log(
    debate: Debate, actor: Any, action: str, obj: Any, before: dict | None = None, after: dict | None = None
) -> None:
    ModerationLog.objects.create(
        debate=debate,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "debate",
        object_id=getattr(obj, "pk", None),
        before=before or {},
        after=after or {},
    )


def citizen_refusal(
    debate: Debate, participant: Participant | None = None, *, memo: bool = False
) -> ServiceError | None:
    """Why citizens may not post or vote in this debate now (None: they may). The one rule, for every citizen write."""
    if debate.status == Debate.Status.CLOSED or debate.past_scheduled_end():
        return ServiceError(_("This debate is closed: posting and voting are over."), status=409)
    if not debate.accepts_posts:
        return ServiceError(_("This debate is not open yet."), status=409)
    if participant is not None and participant.muted:
        return ServiceError(_("A moderator has muted you in this debate: you can no longer post."), status=403)
    return dates_refusal(debate, memo=memo)  # memo: a burst judges each debate object of its batch once


def _require_open_for_citizens(debate: Debate, participant: Participant | None) -> None:
    refusal = citizen_refusal(debate, participant)
    if refusal is not None:
        raise refusal
