"""The debate clock: start, pause, resume, extend, next, reset on the current agenda segment."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import ServiceError
from ..models import (
    AgendaSegment,
    Debate,
)
from ..permissions import require_moderator
from .common import _log, announce


def _segment_for_clock(debate: Debate) -> AgendaSegment | None:
    if debate.current_segment_id:
        return AgendaSegment.objects.select_for_update().get(pk=debate.current_segment_id)
    first = debate.segments.order_by("position", "id").first()
    return AgendaSegment.objects.select_for_update().get(pk=first.pk) if first else None


def _transition(debate: Debate, seg: AgendaSegment, action: str, now: Any, seconds: int) -> AgendaSegment:
    """Apply one clock action to the current segment; "next" ends it and starts the following one (returned)."""
    if action == "next":
        following = debate.segments.filter(position__gt=seg.position).order_by("position", "id").first()
        seg.end(now)
        seg.save()
        if following is None:
            raise ServiceError(_("This is the last segment of the agenda."), status=409)
        seg = AgendaSegment.objects.select_for_update().get(pk=following.pk)
        seg.started_at = None  # the following segment starts afresh, whatever it was
        seg.start(now)
        return seg
    simple = {
        "start": lambda: seg.start(now),
        "pause": lambda: seg.pause(now),
        "resume": lambda: seg.resume(now),
        "extend": lambda: seg.extend(seconds),
        "reset": seg.reset,
    }
    if action not in simple:
        raise ServiceError(_("Unknown clock action."))
    simple[action]()
    return seg


def clock_action(*, debate: Debate, actor: Any, action: str, seconds: int = 60) -> AgendaSegment:
    """start | pause | resume | extend | next | reset, on the current agenda segment."""
    require_moderator(debate, actor)
    now = timezone.now()
    with transaction.atomic():
        d = Debate.objects.select_for_update().get(pk=debate.pk)
        seg = _segment_for_clock(d)
        if seg is None:
            raise ServiceError(_("This debate has no agenda segment."), status=409)
        before = {"segment": seg.pk, "remaining": round(seg.remaining_seconds(now))}
        seg = _transition(d, seg, action, now, seconds)
        seg.save()
        if d.current_segment_id != seg.pk:
            d.current_segment = seg
            d.save(update_fields=["current_segment"])
        _log(
            d,
            actor,
            f"clock_{action}",
            seg,
            before,
            {"segment": seg.pk, "remaining": round(seg.remaining_seconds(now))},
        )
        announce(d.pk, {"status", "log"})
    return seg
