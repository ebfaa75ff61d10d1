"""Admin pages of consultations (imported by debates.admin). Counts and statuses change through the services only:
read-only here."""

from django.contrib import admin

from .models_consult import (
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


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = ("debate", "proposals_enabled", "proposal_threshold", "proposal_outcome")


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ("title", "debate", "status", "support_count", "flag_count", "created_at")
    list_filter = ("status",)
    search_fields = ("title", "text")
    raw_id_fields = ("author", "merged_into", "poll", "segment")
    readonly_fields = (
        "status",
        "support_count",
        "flag_count",
        "official_at",
        "merged_into",
        "poll",
        "segment",
        "version",
    )


for model in (ProposalSupport, ProposalFlag):
    admin.site.register(model)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Codes, code uses, secret ballots and declared results are written by the services only (a frozen tally and
    its hash must never be edited by hand)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(VoterCode)
class VoterCodeAdmin(ReadOnlyAdmin):
    list_display = ("pk", "debate", "batch", "claimed_at", "revoked_at")
    exclude = ("digest",)


for editable in (Text, Article, Phase):
    admin.site.register(editable)


for read_only in (PollRules, CodeUse, SecretBallot, ResultDeclaration):
    admin.site.register(read_only, ReadOnlyAdmin)
