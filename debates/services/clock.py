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
        if action == "start":
            if seg.started_at is None or seg.ended_at is not None:
                seg.started_at, seg.paused_at, seg.paused_seconds, seg.ended_at = now, None, 0, None
            elif seg.paused_at is not None:
                seg.paused_seconds += (now - seg.paused_at).total_seconds()
                seg.paused_at = None
        elif action == "pause":
            if not seg.is_running:
                raise ServiceError(_("The clock is not running."), status=409)
            seg.paused_at = now
        elif action == "resume":
            if not seg.is_paused:
                raise ServiceError(_("The clock is not paused."), status=409)
            seg.paused_seconds += (now - seg.paused_at).total_seconds()
            seg.paused_at = None
        elif action == "extend":
            if not -3600 <= seconds <= 3600 or seconds == 0:
                raise ServiceError(_("Add between 1 second and one hour."))
            if seg.duration_seconds + seconds < 0:  # taking time off must not leave a negative duration
                raise ServiceError(_("The segment cannot last less than nothing."))
            seg.extra_seconds += seconds
        elif action == "reset":
            seg.started_at = seg.paused_at = seg.ended_at = None
            seg.paused_seconds, seg.extra_seconds = 0, 0
        elif action == "next":
            following = d.segments.filter(position__gt=seg.position).order_by("position", "id").first()
            if seg.started_at is not None and seg.ended_at is None:
                if seg.paused_at is not None:
                    seg.paused_seconds += (now - seg.paused_at).total_seconds()
                    seg.paused_at = None
                seg.ended_at = now
            seg.save()
            if following is None:
                raise ServiceError(_("This is the last segment of the agenda."), status=409)
            seg = AgendaSegment.objects.select_for_update().get(pk=following.pk)
            seg.started_at, seg.paused_at, seg.paused_seconds, seg.ended_at = now, None, 0, None
        else:
            raise ServiceError(_("Unknown clock action."))
        seg.save()
        if d.current_segment_id != seg.pk:
            d.current_segment = seg
            d.save(update_fields=["current_segment"])
        _log(d, actor, f"clock_{action}", seg, before, {"segment": seg.pk, "remaining": round(seg.remaining_seconds(now))})
        announce(d.pk, {"status", "log"})
    return seg
