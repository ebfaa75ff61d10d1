"""Consultations beyond one evening: a debate's consultation settings, and citizen proposals with their supports
and flags. Imported by debates.models (Django finds the app's models there); foreign keys are by name so this
module needs nothing from it."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Consultation(models.Model):
    """What a debate accepts beyond questions and polls. One row per debate, created with defaults when an
    organiser first opens its settings (a debate without a row accepts no proposals)."""

    class Outcome(models.TextChoices):
        POLL = "poll", _("A proposition put to the vote, with arguments for and against")
        AGENDA = "agenda", _("An item of the agenda")

    debate = models.OneToOneField("debates.Debate", on_delete=models.CASCADE, related_name="consultation")
    proposals_enabled = models.BooleanField(_("citizens may make proposals"), default=False)
    proposal_threshold = models.PositiveIntegerField(
        _("supports for a proposal to become official"), default=15,
        validators=[MinValueValidator(1), MaxValueValidator(1_000_000)],
    )
    proposal_outcome = models.CharField(
        _("an official proposal becomes"), max_length=8, choices=Outcome.choices, default=Outcome.POLL
    )
    proposal_max_length = models.PositiveIntegerField(
        _("proposal length limit"), default=2000, validators=[MinValueValidator(50), MaxValueValidator(10_000)]
    )
    categories = models.TextField(_("categories"), blank=True, help_text=_("One per line; optional."))

    class Meta:
        verbose_name = _("consultation settings")
        verbose_name_plural = _("consultation settings")

    def __str__(self) -> str:
        return f"consultation of debate #{self.debate_id}"

    def category_list(self) -> list[str]:
        return [c.strip()[:80] for c in self.categories.splitlines() if c.strip()]


class Proposal(models.Model):
    """A citizen's proposal. It becomes official once, when its supports reach the debate's threshold."""

    class Status(models.TextChoices):
        PUBLISHED = "published", _("Gathering support")
        OFFICIAL = "official", pgettext_lazy("proposal", "Official")
        HELD = "held", _("Held for review")
        HIDDEN = "hidden", _("Hidden by a moderator")
        MERGED = "merged", _("Merged into another proposal")

    debate = models.ForeignKey("debates.Debate", on_delete=models.CASCADE, related_name="proposals")
    author = models.ForeignKey("debates.Participant", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="proposals")
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    category = models.CharField(_("category"), max_length=80, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    support_count = models.PositiveIntegerField(_("supports"), default=0)
    flag_count = models.PositiveIntegerField(_("flags to review"), default=0)
    flagged_words = models.CharField(max_length=300, blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged",
                                    verbose_name=_("merged into"))
    official_at = models.DateTimeField(_("became official at"), null=True, blank=True)
    poll = models.OneToOneField("debates.Poll", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="proposal", verbose_name=_("proposition put to the vote"))
    segment = models.OneToOneField("debates.AgendaSegment", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="proposal", verbose_name=_("agenda item"))
    # Row version: every change of what the proposal's live fragments show bumps it, so a browser can drop an
    # older fragment of the same proposal (counts go down too, when a support is withdrawn: a count is no version).
    version = models.PositiveBigIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-support_count", "created_at"]
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        indexes = [models.Index(fields=["debate", "status", "-support_count"], name="proposal_window")]

    def __str__(self) -> str:
        return self.title[:80]

    @property
    def is_public(self) -> bool:
        return self.status in (self.Status.PUBLISHED, self.Status.OFFICIAL)

    @property
    def is_official(self) -> bool:
        return self.status == self.Status.OFFICIAL


class ProposalSupport(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="supports")
    participant = models.ForeignKey("debates.Participant", on_delete=models.CASCADE, related_name="proposal_supports")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proposal", "participant"], name="one_support_per_proposal")]


class ProposalFlag(models.Model):
    """A citizen's report that a proposal is abusive; moderators see flagged proposals in their queue."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="flags")
    participant = models.ForeignKey("debates.Participant", on_delete=models.CASCADE, related_name="proposal_flags")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["proposal", "participant"], name="one_flag_per_proposal")]
