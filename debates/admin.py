from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .services.text import strip_controls

from .models import (
    AgendaSegment,
    Answer,
    Argument,
    ArgumentUpvote,
    Debate,
    DebateRole,
    Invitation,
    ModerationLog,
    Participant,
    Poll,
    PollOption,
    PresenceSample,
    Question,
    QuestionUpvote,
    StaffNote,
    StaffSessionEpoch,
    Vote,
)


class SafeAdmin(admin.ModelAdmin):
    """Search terms and list filters without control characters: PostgreSQL refuses a NUL byte in a query (a 500)."""

    def changelist_view(self, request, extra_context=None):
        if any(ch < " " for values in request.GET.lists() for v in values[1] for ch in v):
            query = request.GET.copy()
            for key, values in query.lists():
                query.setlist(key, [strip_controls(v, keep="") for v in values])
            request.GET = query
        return super().changelist_view(request, extra_context)

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, strip_controls(search_term, keep=""))


class SegmentInline(admin.TabularInline):
    model = AgendaSegment
    extra = 0
    fields = ("position", "title", "planned_seconds")


class RoleInline(admin.TabularInline):
    model = DebateRole
    extra = 1
    autocomplete_fields = ("user",)


class DebateAdminForm(forms.ModelForm):
    """The join-code rule applies to codes being set, not to a stored one (the demo's vanity code MAIRE7 holds an
    I, which generated codes avoid): otherwise such a debate could not be saved in the admin at all."""

    class Meta:
        model = Debate
        fields = "__all__"

    def _get_validation_exclusions(self):  # type: ignore[no-untyped-def]
        excluded = super()._get_validation_exclusions()
        stored = self.initial.get("code")  # from the instance (not the form's hidden initial: the field has a default)
        if self.instance.pk and stored and (self.cleaned_data.get("code") or "").upper() == stored.upper():
            excluded.add("code")
        return excluded


@admin.register(Debate)
class DebateAdmin(SafeAdmin):
    form = DebateAdminForm
    list_display = ("title", "code", "status", "scheduled_start", "premoderation")
    list_filter = ("status", "premoderation")
    search_fields = ("title", "code")
    inlines = [SegmentInline, RoleInline]
    # The status only moves through services.debate_set_status (it sets opened_at, closes polls…): read-only here,
    # changed by the actions below. Live-only internals are not shown.
    readonly_fields = ("status", "opened_at", "closed_at", "peak_connected", "created_at", "created_by")
    exclude = ("on_screen", "current_segment")
    actions = ["make_scheduled", "make_live", "make_closed"]

    def _set_status(self, request, queryset, status: str) -> None:
        from .services import ServiceError, debate_set_status

        for debate in queryset:
            try:
                debate_set_status(debate=debate, status=status, actor=request.user)
            except ServiceError as exc:
                self.message_user(request, f"{debate.code}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{debate.code}: {Debate.Status(status).label}", messages.SUCCESS)

    @admin.action(description=_("Schedule (announce) the selected debates"))
    def make_scheduled(self, request, queryset) -> None:
        self._set_status(request, queryset, Debate.Status.SCHEDULED)

    @admin.action(description=_("Put the selected debates live"))
    def make_live(self, request, queryset) -> None:
        self._set_status(request, queryset, Debate.Status.LIVE)

    @admin.action(description=_("Close the selected debates"))
    def make_closed(self, request, queryset) -> None:
        self._set_status(request, queryset, Debate.Status.CLOSED)

    def save_model(self, request, obj, form, change) -> None:
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("debate", "role", "title", "note", "created_at", "expires_at", "accepted_at", "revoked_at")
    list_filter = ("role",)
    # Only the hash is stored; invitations are made on the debate's staff page, where the link is shown once.
    readonly_fields = (
        "debate",
        "role",
        "title",
        "token_hash",
        "created_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "accepted_by",
    )

    def has_add_permission(self, request) -> bool:
        return False


class OptionInline(admin.TabularInline):
    model = PollOption
    extra = 0


@admin.register(Poll)
class PollAdmin(SafeAdmin):
    list_display = ("text", "debate", "kind", "status", "results")
    list_filter = ("status", "kind")
    inlines = [OptionInline]


@admin.register(Question)
class QuestionAdmin(SafeAdmin):
    list_display = ("text", "debate", "status", "upvote_count", "created_at")
    list_filter = ("status", "debate")
    search_fields = ("text",)
    raw_id_fields = ("author", "merged_into")


@admin.register(ModerationLog)
class ModerationLogAdmin(SafeAdmin):
    list_display = ("created_at", "debate", "actor", "action", "object_type", "object_id")
    list_filter = ("action", "debate")

    def has_change_permission(self, request, obj=None):  # the audit log is append-only
        return False


for model in (
    AgendaSegment,
    DebateRole,
    Participant,
    QuestionUpvote,
    PollOption,
    Vote,
    Argument,
    ArgumentUpvote,
    Answer,
    PresenceSample,
    StaffNote,
    StaffSessionEpoch,
):
    admin.site.register(model, SafeAdmin)

from . import admin_consult  # noqa: E402,F401  (consultation models register themselves there)
