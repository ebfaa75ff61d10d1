"""Polls and propositions: their options, votes, and the arguments for and against with their upvotes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .debates import Debate
from .participants import Participant


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
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    @property
    def hides_results_until_closed(self) -> bool:
        """Its results setting (whether or not it has closed yet: what is shown now is shows_results)."""
        return self.results == self.Results.HIDDEN

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
    # Its supports, counted in the transaction that stores them (services.arguments): a window of the most
    # supported reads an index instead of counting every support of the poll (9,000 arguments: 20 ms a side).
    support_count = models.PositiveIntegerField(_("supports"), default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("argument")
        verbose_name_plural = _("arguments")
        indexes = [
            models.Index(
                fields=["poll", "side", "status", "-support_count", "created_at", "id"], name="argument_window"
            )
        ]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_visible(self) -> bool:
        return self.status == self.Status.VISIBLE


class ArgumentUpvote(models.Model):
    argument = models.ForeignKey(Argument, on_delete=models.CASCADE, related_name="upvotes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="argument_upvotes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["argument", "participant"], name="one_upvote_per_argument")]
