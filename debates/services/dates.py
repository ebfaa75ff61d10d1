"""Consultations with dates: opening and closing dates (entered in the debate's time zone), phases, the rule that
nothing is written after the close whatever a browser shows, and the tick that applies due transitions with no
one online (safe with several processes: a conditional UPDATE, so exactly one process wins and announces)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _


from ..errors import ServiceError
from ..models import Debate, Poll
from ..models_consult import Consultation, Phase
from ..permissions import require_moderator
from .common import _log, announce


def consultation_set_dates(
    *,
    debate: Debate,
    actor: Any,
    opens_at: datetime | None,
    closes_at: datetime | None,
    phases: list[tuple[str, datetime, datetime]],
) -> Consultation:
    """Set the consultation's dates and its phases (all aware datetimes; the view reads them in the debate's zone)."""
    require_moderator(debate, actor)
    if opens_at and closes_at and closes_at <= opens_at:
        raise ServiceError(_("The close must come after the opening."))
    for kind, start, end in phases:
        if kind not in Phase.Kind.values:
            raise ServiceError(_("Unknown phase."))
        if end <= start:
            raise ServiceError(_("A phase must end after it starts."))
    with transaction.atomic():
        consultation, _created = Consultation.objects.select_for_update().get_or_create(debate=debate)
        before = {"opens_at": _iso(consultation.opens_at), "closes_at": _iso(consultation.closes_at)}
        consultation.opens_at, consultation.closes_at = opens_at, closes_at
        consultation.save(update_fields=["opens_at", "closes_at"])
        consultation.phases.all().delete()
        Phase.objects.bulk_create(
            Phase(consultation=consultation, kind=k, starts_at=s, ends_at=e) for k, s, e in phases
        )
        _log(
            debate,
            actor,
            "consultation_dates_set",
            consultation,
            before,
            {"opens_at": _iso(opens_at), "closes_at": _iso(closes_at), "phases": [k for k, _s, _e in phases]},
        )
        announce(debate.pk, {"status", "log"})
    return consultation


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def consultation_tick(now: datetime | None = None) -> list[int]:
    """Apply due transitions: a live debate whose consultation's closing date has passed is closed (its open polls
    too). Exactly once across processes: the UPDATE only matches a debate still live. Returns the debates closed."""
    now = now or timezone.now()
    due = list(
        Consultation.objects.filter(closes_at__lte=now, debate__status=Debate.Status.LIVE).values_list(
            "debate_id", flat=True
        )
    )
    closed = []
    for debate_id in due:
        with transaction.atomic():
            won = Debate.objects.filter(pk=debate_id, status=Debate.Status.LIVE).update(
                status=Debate.Status.CLOSED, closed_at=now
            )
            if not won:
                continue  # another process closed it
            Poll.objects.filter(debate_id=debate_id, status=Poll.Status.OPEN).update(
                status=Poll.Status.CLOSED, closed_at=now
            )
            debate = Debate.objects.get(pk=debate_id)
            _log(
                debate,
                None,
                "debate_status",
                debate,
                {"status": Debate.Status.LIVE},
                {"status": Debate.Status.CLOSED, "by": "closing date"},
            )
            announce(debate_id, {"status", "polls", "questions", "onscreen", "queue", "log", "proposals"})
            closed.append(debate_id)
    return closed
