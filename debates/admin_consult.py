"""Admin pages of consultations (imported by debates.admin). Counts and statuses change through the services only:
read-only here."""

from django.contrib import admin

from .models_consult import Consultation, Proposal, ProposalFlag, ProposalSupport


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = ("debate", "proposals_enabled", "proposal_threshold", "proposal_outcome")


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
    list_display = ("title", "debate", "status", "support_count", "flag_count", "created_at")
    list_filter = ("status",)
    search_fields = ("title", "text")
    raw_id_fields = ("author", "merged_into", "poll", "segment")
    readonly_fields = ("status", "support_count", "flag_count", "official_at", "merged_into", "poll", "segment",
                       "version")


for model in (ProposalSupport, ProposalFlag):
    admin.site.register(model)
