"""The agenda and its clock, as data for the browsers' countdowns."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from ..models import (
    AgendaSegment,
    Debate,
)


def current_segment(debate: Debate) -> AgendaSegment | None:
    if debate.current_segment_id:
        return AgendaSegment.objects.filter(pk=debate.current_segment_id).first()
    return debate.segments.order_by("position", "id").first()


def clock_state(debate: Debate) -> dict[str, Any]:
    """The countdown as data: browsers compute the remaining time with their offset to server_now."""
    seg = current_segment(debate)
    now = timezone.now()
    state: dict[str, Any] = {
        "server_now_ms": int(now.timestamp() * 1000),
        "warning_seconds": debate.clock_warning_seconds,
        "segment": None,
    }
    if seg is None:
        return state
    deadline = seg.deadline()
    state["segment"] = {
        "id": seg.pk,
        "title": seg.title,
        "position": seg.position,
        "planned_seconds": seg.planned_seconds,
        "duration_seconds": seg.duration_seconds,
        "state": "running" if seg.is_running else "paused" if seg.is_paused else "ended" if seg.ended_at else "idle",
        "remaining_seconds": round(seg.remaining_seconds(now), 1),
        "deadline_ms": int(deadline.timestamp() * 1000) if deadline else None,
    }
    return state


def agenda(debate: Debate) -> list[AgendaSegment]:
    return list(debate.segments.order_by("position", "id"))
