"""Forms of the organiser's pages: the debate (settings, schedule, agenda), invitations, the invitee's account."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import UserCreationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Debate, DebateRole
from .services.organising import MAX_SEGMENT_MINUTES

DEBATE_FIELDS = (
    "title",
    "description",
    "language",
    "time_zone",
    "scheduled_start",
    "scheduled_end",
    "auto_schedule",
    "premoderation",
    "allow_anonymous",
    "question_max_length",
    "argument_max_length",
    "trending_threshold",
    "clock_warning_seconds",
    "screen_theme",
    "word_filter",
)
AGENDA_ROWS_MIN = 3  # blank rows offered beyond the existing segments (the browser adds more)


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


def time_zone_names() -> list[str]:
    return sorted(available_timezones())


class DebateForm(forms.ModelForm):
    """Dates are typed in the debate's time zone: the view validates inside `timezone.override(form_tz(...))`."""

    class Meta:
        model = Debate
        fields = DEBATE_FIELDS
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "word_filter": forms.Textarea(attrs={"rows": 5}),
            "scheduled_start": LocalDateTimeInput(),
            "scheduled_end": LocalDateTimeInput(),
            "time_zone": forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off", "spellcheck": "false"}),
        }
        help_texts = {
            "scheduled_end": _("Leave empty: the start plus the agenda's length."),
            "clock_warning_seconds": _("The clock turns orange this many seconds before the end of a segment."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].widget.attrs.update(autofocus=True)
        self.fields["premoderation"].label = _("Moderate questions before they are published")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("scheduled_start"), data.get("scheduled_end")
        if data.get("auto_schedule") and not (start and (end or self.agenda_minutes)):
            self.add_error("auto_schedule", _("A debate that opens and closes by itself needs a start and an end."))
        if start and not end and self.agenda_minutes:
            data["scheduled_end"] = start + timedelta(minutes=self.agenda_minutes)
        return data

    agenda_minutes = 0  # set by the view from the agenda rows, to derive the end


def form_tz(data: Any, debate: Debate | None = None) -> ZoneInfo:
    """The zone the form's dates are typed in: the submitted one if valid, else the debate's, else the site's."""
    name = (data or {}).get("time_zone") if data is not None else None
    for candidate in (name, debate.time_zone if debate else None, settings.TIME_ZONE):
        if candidate and candidate in available_timezones():
            return ZoneInfo(candidate)
    return ZoneInfo("UTC")


def agenda_rows(data: Any) -> list[tuple[str, str]]:
    """(title, minutes) rows posted as agenda-title / agenda-minutes pairs, in page order (the order is the
    agenda's order: the page's ↑ ↓ buttons move rows)."""
    titles, minutes = data.getlist("agenda-title"), data.getlist("agenda-minutes")
    return [(t.strip(), (m or "").strip()) for t, m in zip(titles, minutes) if t.strip() or (m or "").strip()]


def agenda_errors(rows: list[tuple[str, str]]) -> list[str]:
    """The agenda's errors, in the language of the request being answered."""
    errors: list[str] = []
    for title, minutes in rows:
        if not title:
            errors.append(str(_("Each segment needs a title.")))
        elif not minutes.isdigit() or not 1 <= int(minutes) <= MAX_SEGMENT_MINUTES:
            errors.append(
                _("“%(title)s”: the duration is a whole number of minutes, from 1 to 1440.") % {"title": title}
            )
    return errors


class InviteForm(forms.Form):
    role = forms.ChoiceField(
        choices=[(r.value, r.label) for r in (DebateRole.Role.MODERATOR, DebateRole.Role.OFFICIAL)]
    )
    title = forms.CharField(
        label=_("Public title"),
        max_length=120,
        required=False,
        help_text=_("Shown next to an official's answers, e.g. “Mayor of Nanterre”."),
    )
    note = forms.CharField(
        label=_("For"),
        max_length=120,
        required=False,
        help_text=_("A name to recognise the invitation by (only staff see it)."),
    )
    email = forms.EmailField(
        label=_("E-mail (optional)"),
        required=False,
        help_text=_("The link is also sent there if e-mail is set up; you can always copy it."),
    )


class InviteeSignupForm(UserCreationForm):
    """An account for the invitee; nothing links it to an e-mail address (the invitation link is the proof)."""

    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined]  # django-stubs does not declare the Meta
        model = get_user_model()
        fields = ("username", "email")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = False
        self.fields["email"].help_text = _("Optional: to reset your password if you forget it.")


def now_in(tz: ZoneInfo) -> Any:
    return timezone.localtime(timezone.now(), tz)
