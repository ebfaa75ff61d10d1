"""The debate domain. Writes go through debates.services; reads through debates.selectors."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from .errors import ServiceError
from .wordlists import default_word_filter

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
def language_choices() -> list[tuple[str, str]]:
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

    @property
    def is_live(self) -> bool:
        return self.status == self.Status.LIVE

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

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


class DebateRole(models.Model):
    class Role(models.TextChoices):
        MODERATOR = "moderator", _("Moderator")
        OFFICIAL = "official", _("Official")
        # The debate's organiser: edits it, invites and removes staff, deletes a draft (its creator gets it).
        ADMIN = "admin", _("Debate administrator")

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="debate_roles")
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    title = models.CharField(_("public title"), max_length=120, blank=True, help_text=_("e.g. Mayor of Lyon"))

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [models.UniqueConstraint(fields=["debate", "user", "role"], name="one_role_per_user")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.debate.code}"


class Invitation(models.Model):
    """A single-use link that gives a role on a debate to whoever opens it signed in (or creates an account).

    Only a SHA-256 of the token is stored: the link is shown once to the organiser, and a leaked database does not
    hand out roles. Never matched against an e-mail address: the link itself is the proof.
    """

    MAX_AGE_DAYS = 7

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(_("role"), max_length=12, choices=DebateRole.Role.choices)
    title = models.CharField(_("public title"), max_length=120, blank=True, help_text=_("e.g. Mayor of Nanterre"))
    note = models.CharField(_("for"), max_length=120, blank=True, help_text=_("Who it is for (only you see it)."))
    email = models.EmailField(_("e-mail (optional)"), blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.get_role_display()} — {self.debate.code} — {self.note or self.title}"

    def state(self, now: datetime | None = None) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if (now or timezone.now()) >= self.expires_at:
            return "expired"
        return "pending"

    def state_label(self) -> str:
        return {"accepted": _("Accepted"), "revoked": _("Revoked"), "expired": _("Expired"), "pending": _("Waiting")}[
            self.state()
        ]


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
        if not self.is_running:
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


class Participant(models.Model):
    """A citizen's identity in one debate, bound to their browser session (no account)."""

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="participants")
    token = models.CharField(max_length=64, unique=True, default=new_secret_token, editable=False)
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    muted = models.BooleanField(_("muted"), default=False)
    # Made up by the citizen's browser (random, kept in its storage) and sent with each write, so that a retried
    # first write whose answer (and session cookie) was lost finds the participant it made instead of a second one.
    client_key = models.CharField(max_length=64, null=True, blank=True, editable=False)
    # The keyed hash (debates.codes) of the recovery code this citizen was shown once, to take their participation
    # to another device; a new code replaces it.
    recovery_digest = models.CharField(max_length=64, null=True, blank=True, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(
                fields=["debate", "client_key"],
                condition=Q(client_key__isnull=False),
                name="one_participant_per_client_key",
            ),
        ]

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        return self.display_name or _("Anonymous citizen")


class Question(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        ANSWERED = "answered", _("Answered")

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="questions")
    author = models.ForeignKey(Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="questions")
    text = models.TextField(_("question"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    upvote_count = models.PositiveIntegerField(_("upvotes"), default=0)
    # Bumped (F("version") + 1) in the very UPDATE that changes what the item shows: live fragments of this item
    # carry it and browsers drop an older one (static/js/live.js). Not a timestamp (clocks differ across
    # processes), not a count (counts go down).
    version = models.PositiveBigIntegerField(default=1, editable=False)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged", verbose_name=_("merged into")
    )
    starred = models.BooleanField(_("starred"), default=False)
    flagged_words = models.CharField(_("flagged words"), max_length=300, blank=True)
    rejection_reason = models.CharField(_("rejection reason"), max_length=300, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-upvote_count", "created_at"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        indexes = [models.Index(fields=["debate", "status"])]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_public(self) -> bool:
        return self.status in (self.Status.APPROVED, self.Status.ANSWERED) and self.merged_into_id is None


class QuestionUpvote(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="upvotes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="question_upvotes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["question", "participant"], name="one_upvote_per_question")]


class Poll(models.Model):
    """A poll or a proposition. Yes/no/abstain polls are propositions and take arguments for and against."""

    class Kind(models.TextChoices):
        YES_NO_ABSTAIN = "yna", _("Proposition: yes / no / abstain")
        CHOICE = "choice", _("Multiple choice")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Not yet open")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Results(models.TextChoices):
        LIVE = "live", _("Live results")
        HIDDEN = "hidden", _("Results hidden until the poll closes")

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="polls")
    text = models.CharField(_("text"), max_length=500)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.YES_NO_ABSTAIN)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.DRAFT)
    results = models.CharField(_("results"), max_length=8, choices=Results.choices, default=Results.LIVE)
    # Bumped (F("version") + 1) in the very UPDATE that changes what the poll or its results show: live fragments of this item
    # carry it and browsers drop an older one (static/js/live.js). Not a timestamp (clocks differ across
    # processes), not a count (counts go down).
    version = models.PositiveBigIntegerField(default=1, editable=False)
    position = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["debate", "position", "id"]
        verbose_name = _("poll / proposition")
        verbose_name_plural = _("polls / propositions")

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_proposition(self) -> bool:
        return self.kind == self.Kind.YES_NO_ABSTAIN

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def shows_results(self) -> bool:
        return self.results == self.Results.LIVE or self.status == self.Status.CLOSED


class PollOption(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("label"), max_length=200)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["poll", "position", "id"]

    def __str__(self) -> str:
        return self.label


class Vote(models.Model):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="votes")
    option = models.ForeignKey(PollOption, on_delete=models.CASCADE, related_name="votes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="votes")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "participant"], name="one_vote_per_poll")]
        indexes = [models.Index(fields=["poll", "option"])]


class Argument(models.Model):
    class Side(models.TextChoices):
        FOR = "for", _("For")
        AGAINST = "against", _("Against")

    class Status(models.TextChoices):
        VISIBLE = "visible", _("Visible")
        HELD = "held", _("Held for review")
        HIDDEN = "hidden", _("Hidden")

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="arguments")
    author = models.ForeignKey(Participant, null=True, blank=True, on_delete=models.SET_NULL, related_name="arguments")
    side = models.CharField(_("side"), max_length=8, choices=Side.choices)
    text = models.TextField(_("argument"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.VISIBLE)
    # Bumped (F("version") + 1) in the very UPDATE that changes what the item shows: live fragments of this item
    # carry it and browsers drop an older one (static/js/live.js). Not a timestamp (clocks differ across
    # processes), not a count (counts go down).
    version = models.PositiveBigIntegerField(default=1, editable=False)
    flagged_words = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("argument")
        verbose_name_plural = _("arguments")

    def __str__(self) -> str:
        return self.text[:80]


class ArgumentUpvote(models.Model):
    argument = models.ForeignKey(Argument, on_delete=models.CASCADE, related_name="upvotes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="argument_upvotes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["argument", "participant"], name="one_upvote_per_argument")]


class Answer(models.Model):
    """An official's written answer. The badge comes from the author's DebateRole, never from user input."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="answers")
    text = models.TextField(_("answer"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")

    def __str__(self) -> str:
        return self.text[:80]


class ModerationLog(models.Model):
    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="log")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("action"), max_length=40)
    object_type = models.CharField(_("object type"), max_length=40)
    object_id = models.PositiveBigIntegerField(_("object id"), null=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("moderation log entry")
        verbose_name_plural = _("moderation log")

    def __str__(self) -> str:
        return f"{self.created_at:%H:%M:%S} {self.actor} {self.action} {self.object_type}#{self.object_id}"


class PresenceSample(models.Model):
    """Connected browsers over time, for the report's chart and its peak."""

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="presence_samples")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    connected = models.PositiveIntegerField()

    class Meta:
        ordering = ["at"]


class StaffNote(models.Model):
    """A moderator's short private note to the officials on stage ("two minutes left", "next: the tram question").
    Staff only: rendered for the console and the official view, never for citizens or the screen."""

    MAX_LENGTH = 140

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="staff_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.CharField(_("note"), max_length=MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("note to officials")
        verbose_name_plural = _("notes to officials")

    def __str__(self) -> str:
        return self.text


class StaffSessionEpoch(models.Model):
    """A staff account's session epoch: incremented to revoke every session it signed in before (staff_sessions)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+")
    epoch = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("staff session epoch")


# Consultations (proposals, voter codes…) live in their own module; importing them here registers them with the app.
from .models_consult import (  # noqa: E402,F401
    Article,
    CodeUse,
    Consultation,
    Phase,
    PollRules,
    Proposal,
    ProposalFlag,
    ProposalSupport,
    ResultDeclaration,
    SecretBallot,
    Text,
    VoterCode,
)
