"""Citizens' questions, their upvotes and the officials' answers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .debates import Debate
from .participants import Participant


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
        indexes = [
            models.Index(fields=["debate", "status"]),
            # The citizens' windows (selectors.questions): Top and Recent, read in index order.
            models.Index(fields=["debate", "-upvote_count", "created_at", "id"], name="question_top"),
            models.Index(fields=["debate", "-created_at", "-id"], name="question_recent"),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_public(self) -> bool:
        return self.status in (self.Status.APPROVED, self.Status.ANSWERED) and self.merged_into_id is None

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED

    @property
    def is_answered(self) -> bool:
        return self.status == self.Status.ANSWERED


class QuestionUpvote(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="upvotes")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="question_upvotes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["question", "participant"], name="one_upvote_per_question")]


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
