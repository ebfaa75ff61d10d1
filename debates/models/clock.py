"""The agenda and its clock: one segment with a countdown and its transitions."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..errors import ServiceError
from .debates import Debate


class AgendaSegment(models.Model):
    """One item of the agenda with a countdown.

    The clock is data, not a stream: remaining = planned + extra − (now − started − paused), where the pause that is
    in progress counts from paused_at. Browsers compute it locally from the same fields.
    """

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="segments")
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=200)
    planned_seconds = models.PositiveIntegerField(
        _("planned duration (seconds)"), default=600, validators=[MinValueValidator(10)]
    )
    extra_seconds = models.IntegerField(_("time added"), default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    paused_seconds = models.FloatField(default=0)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["debate", "position", "id"]
        verbose_name = _("agenda segment")
        verbose_name_plural = _("agenda segments")

    def __str__(self) -> str:
        return self.title

    @property
    def duration_seconds(self) -> int:
        return self.planned_seconds + self.extra_seconds

    @property
    def is_running(self) -> bool:
        return self.started_at is not None and self.paused_at is None and self.ended_at is None

    @property
    def is_paused(self) -> bool:
        return self.started_at is not None and self.paused_at is not None and self.ended_at is None

    def elapsed_seconds(self, now: datetime | None = None) -> float:
        if self.started_at is None:
            return 0.0
        now = now or timezone.now()
        until = self.ended_at or self.paused_at or now
        return max(0.0, (until - self.started_at).total_seconds() - self.paused_seconds)

    def remaining_seconds(self, now: datetime | None = None) -> float:
        """Negative in overtime."""
        return self.duration_seconds - self.elapsed_seconds(now)

    def deadline(self) -> datetime | None:
        """When a running countdown reaches zero (None unless running)."""
        if not self.is_running or self.started_at is None:
            return None
        return self.started_at + timedelta(seconds=self.duration_seconds + self.paused_seconds)

    # --- transitions (the caller saves; debates.services.clock locks, logs and announces) ---------------------
    def _fold_pause(self, now: datetime) -> None:
        """A pause in progress becomes part of paused_seconds (the one place a pause is folded)."""
        if self.paused_at is not None:
            self.paused_seconds += (now - self.paused_at).total_seconds()
            self.paused_at = None

    def start(self, now: datetime) -> None:
        """Start afresh (idle or ended), or carry on from a pause."""
        if self.started_at is None or self.ended_at is not None:
            self.started_at, self.paused_at, self.paused_seconds, self.ended_at = now, None, 0, None
        else:
            self._fold_pause(now)

    def pause(self, now: datetime) -> None:
        if not self.is_running:
            raise ServiceError(_("The clock is not running."), status=409)
        self.paused_at = now

    def resume(self, now: datetime) -> None:
        if not self.is_paused:
            raise ServiceError(_("The clock is not paused."), status=409)
        self._fold_pause(now)

    def extend(self, seconds: int) -> None:
        if not -3600 <= seconds <= 3600 or seconds == 0:
            raise ServiceError(_("Add between 1 second and one hour."))
        if self.duration_seconds + seconds < 0:  # taking time off must not leave a negative duration
            raise ServiceError(_("The segment cannot last less than nothing."))
        self.extra_seconds += seconds

    def reset(self) -> None:
        self.started_at = self.paused_at = self.ended_at = None
        self.paused_seconds, self.extra_seconds = 0, 0

    def end(self, now: datetime) -> None:
        """Stop a started segment for good (next segment, debate closed); an idle or ended one is left as is."""
        if self.started_at is not None and self.ended_at is None:
            self._fold_pause(now)
            self.ended_at = now
