"""Forms of the staff pages (citizen writes are simple enough for the services' own validation)."""

from __future__ import annotations

from django import forms

from .models import Debate, DebateRole

SETTINGS_FIELDS = (
    "title", "description", "premoderation", "allow_anonymous", "question_max_length", "argument_max_length",
    "trending_threshold", "clock_warning_seconds", "screen_theme", "word_filter",
)


class DebateSettingsForm(forms.ModelForm):
    class Meta:
        model = Debate
        fields = SETTINGS_FIELDS
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "word_filter": forms.Textarea(attrs={"rows": 8}),
        }


class RoleForm(forms.Form):
    username = forms.CharField(max_length=150)
    role = forms.ChoiceField(choices=DebateRole.Role.choices)
    title = forms.CharField(max_length=120, required=False)
