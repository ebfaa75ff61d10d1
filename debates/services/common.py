"""Rules every service shares: the moderation log entry, and whether citizens may post in a debate now."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from ..errors import ServiceError
from ..models import (
    Debate,
    ModerationLog,
    Participant,
)


def _log(debate: Debate, actor: Any, action: str, obj: Any, before: dict | None = None, after: dict | None = None) -> None:
    ModerationLog.objects.create(
        debate=debate,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "debate",
        object_id=getattr(obj, "pk", None),
        before=before or {},
        after=after or {},
    )


def _require_open_for_citizens(debate: Debate, participant: Participant | None) -> None:
    if debate.status == Debate.Status.CLOSED or debate.past_scheduled_end():
        raise ServiceError(_("This debate is closed: posting and voting are over."), status=409)
    if not debate.accepts_posts:
        raise ServiceError(_("This debate is not open yet."), status=409)
    if participant is not None and participant.muted:
        raise ServiceError(_("A moderator has muted you in this debate: you can no longer post."), status=403)
