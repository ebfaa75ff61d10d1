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


def dates_refusal(debate: Debate, *, phase: str | None = None, memo: bool = False) -> ServiceError | None:
    """Why the consultation's dates refuse a citizen write now (None: they allow it). With `memo` (a burst, whose
    debate objects are read for that batch), judged once per debate object."""
    if not memo:
        try:
            require_within_dates(debate, phase=phase)
        except ServiceError as refusal:
            return refusal
        return None
    memo_of = debate.__dict__.setdefault("_dates_refusal", {})
    if phase not in memo_of:
        try:
            require_within_dates(debate, phase=phase)
            memo_of[phase] = None
        except ServiceError as refusal:
            memo_of[phase] = refusal
    return memo_of[phase]


def require_within_dates(debate: Debate, now: datetime | None = None, *, phase: str | None = None) -> None:
    """Refuse a citizen write outside the consultation's dates (or outside the phase it belongs to, if phases are
    set), with a clear message. Judged on the server's clock, whatever the page shows."""
    consultation = Consultation.objects.filter(debate=debate).only("opens_at", "closes_at").first()
    if consultation is None:
        return
    now = now or timezone.now()
    if consultation.closes_at and now >= consultation.closes_at:
        raise ServiceError(
            _("This consultation closed on %(when)s: nothing more can be posted or voted.")
            % {"when": _local(debate, consultation.closes_at)},
            status=409,
        )
    if consultation.opens_at and now < consultation.opens_at:
        raise ServiceError(
            _("This consultation opens on %(when)s.") % {"when": _local(debate, consultation.opens_at)}, status=409
        )
    if phase is not None:
        phases = list(consultation.phases.filter(kind=phase))
        if phases and not any(p.starts_at <= now < p.ends_at for p in phases):
            raise ServiceError(_("This is not the time for that: see the consultation's timeline."), status=409)


def _local(debate: Debate, when: datetime) -> str:
    from zoneinfo import ZoneInfo

    from django.utils.formats import date_format

    zone = getattr(debate, "time_zone", "") or "UTC"
    return date_format(when.astimezone(ZoneInfo(zone)), "DATETIME_FORMAT") + f" ({zone})"


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
