"""Debates by join code, the lists of debates, and who may open which live socket."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from ..models import (
    JOIN_CODE_LENGTH,
    Debate,
    DebateRole,
)
from ..permissions import has_role
from .staff import user_can_moderate, user_is_official


def is_join_code(code: Any) -> bool:
    """Whether code has the shape of a join code (six letters or digits): anything else names no debate, and is
    never sent to the database (PostgreSQL refuses a NUL byte in text)."""
    return isinstance(code, str) and len(code) == JOIN_CODE_LENGTH and code.isascii() and code.isalnum()


def debate_id_for_code(code: str) -> int | None:
    """The id of the debate with this join code, or None (no 404: for callers that answer themselves)."""
    if not is_join_code(code):
        return None
    found = Debate.objects.exclude(status=Debate.Status.DRAFT).filter(code=code.upper())
    return found.values_list("pk", flat=True).first()


def debate_for_code(code: str) -> Debate:
    if not is_join_code(code):
        raise Http404("unknown debate code")
    try:
        return Debate.objects.exclude(status=Debate.Status.DRAFT).get(code=(code or "").upper())
    except Debate.DoesNotExist:
        raise Http404("unknown debate code") from None


def debate_for_staff(code: str, user: Any) -> Debate:
    """Drafts are visible to their moderators too."""
    if not is_join_code(code):
        raise Http404("unknown debate code")
    try:
        debate = Debate.objects.get(code=(code or "").upper())
    except Debate.DoesNotExist:
        raise Http404("unknown debate code") from None
    if debate.status == Debate.Status.DRAFT and not has_role(debate, user, DebateRole.Role.MODERATOR):
        raise Http404("unknown debate code")
    return debate


def live_and_upcoming() -> list[Debate]:
    return list(
        Debate.objects.filter(status__in=[Debate.Status.LIVE, Debate.Status.SCHEDULED]).order_by(
            "-status", "scheduled_start", "id"
        )
    )


def recent_closed(limit: int = 5) -> list[Debate]:
    return list(Debate.objects.filter(status=Debate.Status.CLOSED).order_by("-closed_at")[:limit])


def live_access(
    *, code: str, kind: str, user: Any, token: str = "", session: Any = None
) -> tuple[int, str | None] | None:
    """For a websocket: (debate id, audience) — audience None when forbidden — or None for an unknown code.
    A moderators' socket also needs a staff session still current (not signed out elsewhere, not too old), as the
    console pages do (hub.middleware): a copied cookie outlives its sign-out nowhere."""
    debate = Debate.objects.filter(code=code.upper()).first() if is_join_code(code) else None
    if debate is None:
        return None
    if kind == "moderators":
        from .. import staff_sessions

        if session is not None and not staff_sessions.is_current(session, user):
            return debate.pk, None
        return debate.pk, ("moderators" if user_can_moderate(debate, user) or user_is_official(debate, user) else None)
    if debate.status == Debate.Status.DRAFT:
        return None
    if kind == "screen":
        import secrets

        return debate.pk, ("screen" if secrets.compare_digest(token, debate.screen_token) else None)
    return debate.pk, "public"
