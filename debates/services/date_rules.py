"""The rule of a consultation's dates, read-only: a citizen write outside the opening and closing dates (or the
phase it belongs to) is refused with a clear message. Below the services that write (services.dates sets the
dates and applies due transitions; services.common asks it whether citizens may post now)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import ServiceError
from ..models import Debate
from ..models_consult import Consultation


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
            require_within_dates(debate, phase=phase, memo=True)
            memo_of[phase] = None
        except ServiceError as refusal:
            memo_of[phase] = refusal
    return memo_of[phase]


def require_within_dates(
    debate: Debate, now: datetime | None = None, *, phase: str | None = None, memo: bool = False
) -> None:
    """Refuse a citizen write outside the consultation's dates (or outside the phase it belongs to, if phases are
    set), with a clear message. Judged on the server's clock, whatever the page shows. With `memo`, the dates are
    read once per debate object (a burst judges the debate and then its vote phase: one read, not two)."""
    if memo and "_consultation_dates" in debate.__dict__:
        consultation = debate.__dict__["_consultation_dates"]
    else:
        consultation = Consultation.objects.filter(debate=debate).only("opens_at", "closes_at").first()
        if memo:
            debate.__dict__["_consultation_dates"] = consultation
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
