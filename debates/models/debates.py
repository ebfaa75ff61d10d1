"""The debate itself: its join code, language, time zone, life cycle, screen and moderation settings."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from ..wordlists import default_word_filter

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: a code read aloud or off a poster is not mistyped.
JOIN_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY3479"
JOIN_CODE_LENGTH = 6


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


def validate_join_code(value: str) -> None:
    """Generated codes avoid look-alike characters (no I/1, O/0, B/8…), so people can type what they read."""
    if len(value or "") != JOIN_CODE_LENGTH or any(c not in JOIN_CODE_ALPHABET for c in value.upper()):
        raise ValidationError(
            _("The join code must be %(n)d characters among %(alphabet)s.")
            % {"n": JOIN_CODE_LENGTH, "alphabet": JOIN_CODE_ALPHABET}
        )


def new_secret_token() -> str:
    return secrets.token_urlsafe(24)


# Callables rather than literal values, so that adding a language to settings.LANGUAGES or running with another
# TIME_ZONE never produces a new migration.
def language_choices() -> list[tuple[str, Any]]:  # names stay lazy: shown in each reader's language
    return list(settings.LANGUAGES)


def default_language() -> str:
    return settings.LANGUAGE_CODE


def default_time_zone() -> str:
    return settings.TIME_ZONE


def validate_time_zone(value: str) -> None:
    """An IANA name (Europe/Paris, America/Montreal…): dates on posters and countdowns are shown in it."""
    from zoneinfo import available_timezones

    if value not in available_timezones():
        raise ValidationError(_("“%(value)s” is not a known time zone (e.g. Europe/Paris)."), params={"value": value})


class Debate(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        LIVE = "live", _("Live")
        CLOSED = "closed", _("Closed")

    # Allowed life-cycle moves; anything else is refused by debate_set_status.
    TRANSITIONS: dict[str, set[str]] = {
        Status.DRAFT: {Status.SCHEDULED, Status.LIVE},
        Status.SCHEDULED: {Status.DRAFT, Status.LIVE},
        Status.LIVE: {Status.CLOSED},
        Status.CLOSED: set(),
    }

    class ScreenMode(models.TextChoices):
        """What the projected screen shows, chosen by a moderator (debates.services.screen)."""

        WELCOME = "welcome", _("Welcome slide")
        QUESTION = "question", _("Question")
        POLL = "poll", _("Poll")
        BLANK = "blank", _("Blank screen")
        CLOSING = "closing", _("Closing slide")

    class Theme(models.TextChoices):
        DARK = "dark", _("Dark")
        LIGHT = "light", _("Light")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    code = models.CharField(
        _("join code"), max_length=JOIN_CODE_LENGTH, unique=True, default=new_join_code, validators=[validate_join_code]
    )
    slug = models.SlugField(_("slug"), max_length=80, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=language_choices,
        default=default_language,
        help_text=_("The language of the screen, the poster and the report."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default=default_time_zone,
        validators=[validate_time_zone],
        help_text=_("Dates and times of this debate are shown in it."),
    )
    scheduled_start = models.DateTimeField(_("scheduled start"), null=True, blank=True)
    scheduled_end = models.DateTimeField(_("scheduled end"), null=True, blank=True)
    opened_at = models.DateTimeField(_("went live at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    premoderation = models.BooleanField(_("pre-moderate questions"), default=True)
    allow_anonymous = models.BooleanField(_("allow anonymous participation"), default=True)
    question_max_length = models.PositiveIntegerField(
        _("question length limit"), default=280, validators=[MinValueValidator(20), MaxValueValidator(2000)]
    )
    argument_max_length = models.PositiveIntegerField(
        _("argument length limit"), default=500, validators=[MinValueValidator(20), MaxValueValidator(4000)]
    )
    clock_warning_seconds = models.PositiveIntegerField(_("clock warning (seconds)"), default=30)
    trending_threshold = models.PositiveIntegerField(
        _("trending threshold (upvotes)"),
        default=10,
        help_text=_("A question with this many upvotes is flagged to moderators."),
    )

    # The one trending rule, in Python and as a query (selectors, services and the console use these).
    def is_trending(self, upvotes: int) -> bool:
        return upvotes >= self.trending_threshold

    def trending_q(self) -> models.Q:
        return models.Q(upvote_count__gte=self.trending_threshold)

    word_filter = models.TextField(
        _("word filter"),
        blank=True,
        default=default_word_filter,
        help_text=_("One word or phrase per line. Posts containing one are held for review."),
    )
    screen_token = models.CharField(max_length=64, default=new_secret_token, editable=False)
    screen_theme = models.CharField(_("screen theme"), max_length=8, choices=Theme.choices, default=Theme.DARK)

    on_screen = models.ForeignKey(
        "Question",
        verbose_name=_("question on screen"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    screen_mode = models.CharField(
        _("screen shows"), max_length=10, choices=ScreenMode.choices, default=ScreenMode.QUESTION
    )
    screen_poll = models.ForeignKey(
        "Poll", verbose_name=_("poll on screen"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A poll whose results are hidden shows its options and the vote count on screen until a moderator reveals
    # the bars; reset whenever another poll goes on screen.
    screen_revealed = models.BooleanField(_("poll results revealed on screen"), default=False)
    current_segment = models.ForeignKey(
        "AgendaSegment",
        verbose_name=_("current segment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    peak_connected = models.PositiveIntegerField(default=0)
    auto_schedule = models.BooleanField(
        _("open and close by itself"),
        default=False,
        help_text=_("The debate goes live at its scheduled start and closes at its scheduled end."),
    )
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-scheduled_start", "-id"]
        verbose_name = _("debate")
        verbose_name_plural = _("debates")
        # Given by an administrator (admin: user or group permissions); see README "Run your own debate".
        permissions = [("organise_debates", _("Can organise debates"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(scheduled_end__isnull=True)
                | Q(scheduled_start__isnull=True)
                | Q(scheduled_end__gte=models.F("scheduled_start")),
                name="debate_end_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"

    def clean(self) -> None:
        self.code = (self.code or "").upper()
        if self.scheduled_start and self.scheduled_end and self.scheduled_end < self.scheduled_start:
            raise ValidationError({"scheduled_end": _("The end must come after the start.")})

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugify(self.title)[:80] or "debat"
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("citizen", args=[self.code])

    # Its status and what its screen shows, as templates ask them (never compared with a string literal there).
    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_scheduled(self) -> bool:
        return self.status == self.Status.SCHEDULED

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.LIVE

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def screen_shows_welcome(self) -> bool:
        return self.screen_mode == self.ScreenMode.WELCOME

    @property
    def screen_shows_question(self) -> bool:
        return self.screen_mode == self.ScreenMode.QUESTION

    @property
    def screen_shows_poll(self) -> bool:
        return self.screen_mode == self.ScreenMode.POLL

    @property
    def screen_shows_blank(self) -> bool:
        return self.screen_mode == self.ScreenMode.BLANK

    @property
    def screen_shows_closing(self) -> bool:
        return self.screen_mode == self.ScreenMode.CLOSING

    @property
    def accepts_posts(self) -> bool:
        """Every citizen write asks here. A self-scheduling debate past its end accepts nothing, whether or not
        the scheduler's tick has closed it yet (see debates.scheduler)."""
        if self.status not in (self.Status.LIVE, self.Status.SCHEDULED):
            return False
        return not self.past_scheduled_end()

    def past_scheduled_end(self, now: datetime | None = None) -> bool:
        return bool(self.auto_schedule and self.scheduled_end and (now or timezone.now()) >= self.scheduled_end)

    @property
    def tz(self):  # noqa: ANN201 — a ZoneInfo
        from zoneinfo import ZoneInfo

        try:
            return ZoneInfo(self.time_zone)
        except Exception:  # an invalid stored name must not break a page: fall back to the site's zone
            return ZoneInfo(settings.TIME_ZONE)

    def filtered_words(self) -> list[str]:
        return [w.strip().lower() for w in self.word_filter.splitlines() if w.strip()]
