"""Consultations beyond one evening: a debate's consultation settings, and citizen proposals with their supports
and flags. Imported by debates.models (Django finds the app's models there); foreign keys are by name so this
module needs nothing from it."""

from __future__ import annotations

from django.conf import settings
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
        _("supports for a proposal to become official"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(1_000_000)],
    )
    proposal_outcome = models.CharField(
        _("an official proposal becomes"), max_length=8, choices=Outcome.choices, default=Outcome.POLL
    )
    proposal_max_length = models.PositiveIntegerField(
        _("proposal length limit"), default=2000, validators=[MinValueValidator(50), MaxValueValidator(10_000)]
    )
    categories = models.TextField(_("categories"), blank=True, help_text=_("One per line; optional."))

    class VoteMode(models.TextChoices):
        OPEN = "open", _("Open: one vote per browser (not binding)")
        CODES = "codes", _("Voter codes: one vote per code, on any device")

    vote_mode = models.CharField(_("votes"), max_length=8, choices=VoteMode.choices, default=VoteMode.OPEN)
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(
        _("closes"), null=True, blank=True, help_text=_("After this date nothing more can be posted or voted.")
    )

    class Meta:
        verbose_name = _("consultation settings")
        verbose_name_plural = _("consultation settings")

    def __str__(self) -> str:
        return f"consultation of debate #{self.debate_id}"

    def category_list(self) -> list[str]:
        return [c.strip()[:80] for c in self.categories.splitlines() if c.strip()]

    @property
    def uses_codes(self) -> bool:
        return self.vote_mode == self.VoteMode.CODES

    @property
    def proposals_become_agenda_items(self) -> bool:
        return self.proposal_outcome == self.Outcome.AGENDA


class Proposal(models.Model):
    """A citizen's proposal. It becomes official once, when its supports reach the debate's threshold."""

    class Status(models.TextChoices):
        PUBLISHED = "published", _("Gathering support")
        OFFICIAL = "official", pgettext_lazy("proposal", "Official")
        HELD = "held", _("Held for review")
        HIDDEN = "hidden", _("Hidden by a moderator")
        MERGED = "merged", _("Merged into another proposal")

    debate = models.ForeignKey("debates.Debate", on_delete=models.CASCADE, related_name="proposals")
    author = models.ForeignKey(
        "debates.Participant", null=True, blank=True, on_delete=models.SET_NULL, related_name="proposals"
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"))
    category = models.CharField(_("category"), max_length=80, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    support_count = models.PositiveIntegerField(_("supports"), default=0)
    flag_count = models.PositiveIntegerField(_("flags to review"), default=0)
    flagged_words = models.CharField(max_length=300, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged", verbose_name=_("merged into")
    )
    official_at = models.DateTimeField(_("became official at"), null=True, blank=True)
    poll = models.OneToOneField(
        "debates.Poll",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposal",
        verbose_name=_("proposition put to the vote"),
    )
    segment = models.OneToOneField(
        "debates.AgendaSegment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposal",
        verbose_name=_("agenda item"),
    )
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

    @property
    def is_held(self) -> bool:
        return self.status == self.Status.HELD


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


class VoterCode(models.Model):
    """A single-use voter code handed to one person. Only its keyed hash is stored (debates.codes): the code itself
    exists once, on the sheet or in the CSV the organiser got when generating it. Entered once on a device, it
    binds a participant; entered again on another device, it brings that same participant there."""

    debate = models.ForeignKey("debates.Debate", on_delete=models.CASCADE, related_name="voter_codes")
    digest = models.CharField(max_length=64, unique=True)
    batch = models.PositiveIntegerField(default=1)
    participant = models.OneToOneField(
        "debates.Participant", null=True, blank=True, on_delete=models.SET_NULL, related_name="voter_code"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("voter code")
        verbose_name_plural = _("voter codes")

    def __str__(self) -> str:
        return f"voter code #{self.pk} of debate #{self.debate_id}"


class PollRules(models.Model):
    """How a poll is voted when it is more than an open show of hands: binding (voter codes required) and secret
    (the ballot is stored without any link to the code). Set before the poll opens; absent means open."""

    poll = models.OneToOneField("debates.Poll", on_delete=models.CASCADE, related_name="rules")
    binding = models.BooleanField(_("binding (voter codes required)"), default=False)
    secret = models.BooleanField(_("secret ballot"), default=False)

    class Meta:
        verbose_name = _("poll rules")
        verbose_name_plural = _("poll rules")


class CodeUse(models.Model):
    """A voter code has voted on a poll: one per (poll, code), which is the uniqueness rule of a code poll. For a
    secret poll it is the only trace of the vote besides an unlinked ballot, and carries no time."""

    poll = models.ForeignKey("debates.Poll", on_delete=models.CASCADE, related_name="code_uses")
    code = models.ForeignKey(VoterCode, on_delete=models.CASCADE, related_name="uses")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["poll", "code"], name="one_vote_per_code_per_poll")]


def _ballot_id() -> str:
    import secrets

    return secrets.token_hex(16)


class SecretBallot(models.Model):
    """A ballot of a secret poll: the option only. Random primary key and no timestamp, so neither an id sequence
    nor a time can tie it to the code use written in the same transaction."""

    id = models.CharField(primary_key=True, max_length=32, default=_ballot_id, editable=False)
    poll = models.ForeignKey("debates.Poll", on_delete=models.CASCADE, related_name="secret_ballots")
    option = models.ForeignKey("debates.PollOption", on_delete=models.CASCADE, related_name="secret_ballots")

    class Meta:
        indexes = [models.Index(fields=["poll", "option"], name="secret_ballot_tally")]


class ResultDeclaration(models.Model):
    """The organiser's declaration of a closed poll's result: the tally frozen as it stood, who declared it and
    when, and a SHA-256 of the frozen tally (its canonical JSON) that anyone can recompute from the export."""

    poll = models.OneToOneField("debates.Poll", on_delete=models.CASCADE, related_name="declaration")
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    declared_at = models.DateTimeField(auto_now_add=True)
    tally = models.JSONField()
    tally_sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("declared result")
        verbose_name_plural = _("declared results")


class Text(models.Model):
    """A text put to the vote article by article (a bill, a reform, a negotiation text), written in Markdown."""

    debate = models.ForeignKey("debates.Debate", on_delete=models.CASCADE, related_name="texts")
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["debate", "position", "id"]
        verbose_name = _("text voted article by article")
        verbose_name_plural = _("texts voted article by article")

    def __str__(self) -> str:
        return self.title[:80]


class Article(models.Model):
    """One article of a text, with its own yes / no / abstain vote (a proposition: arguments for and against)."""

    text = models.ForeignKey(Text, on_delete=models.CASCADE, related_name="articles")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    poll = models.OneToOneField("debates.Poll", on_delete=models.CASCADE, related_name="article")

    class Meta:
        ordering = ["text", "position", "id"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")

    def __str__(self) -> str:
        return self.title[:80]


class Phase(models.Model):
    """One step of a consultation's process (proposals → deliberation → vote), with its dates: shown as a timeline;
    proposals are accepted in the proposals phase, votes in the vote phase, when such phases are set."""

    class Kind(models.TextChoices):
        PROPOSALS = "proposals", _("Proposals")
        DELIBERATION = "deliberation", _("Deliberation")
        VOTE = "vote", _("Vote")

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="phases")
    kind = models.CharField(_("phase"), max_length=12, choices=Kind.choices)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="phase_ends_after_start")
        ]
