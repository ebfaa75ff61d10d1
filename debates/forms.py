"""Forms of the staff pages (citizen writes are simple enough for the services' own validation)."""

from __future__ import annotations

from django import forms

from .models import Debate, DebateRole
from .services.text import strip_controls


class CleanTextMixin:
    """Text fields without control or bidi characters (Django already refuses NUL; the rest would be stored)."""

    def clean(self):  # type: ignore[no-untyped-def]
        cleaned = super().clean()  # type: ignore[misc]
        for name, value in cleaned.items():
            if isinstance(value, str):
                cleaned[name] = strip_controls(value).strip()
        return cleaned


SETTINGS_FIELDS = (
    "title",
    "description",
    "premoderation",
    "allow_anonymous",
    "question_max_length",
    "argument_max_length",
    "trending_threshold",
    "clock_warning_seconds",
    "screen_theme",
    "word_filter",
)


class DebateSettingsForm(CleanTextMixin, forms.ModelForm):
    class Meta:
        model = Debate
        fields = SETTINGS_FIELDS
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "word_filter": forms.Textarea(attrs={"rows": 8}),
        }


class RoleForm(CleanTextMixin, forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=DebateRole.Role.choices)
    title = forms.CharField(max_length=120, required=False)
