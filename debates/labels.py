"""People-readable names for the moderation log's action codes and object types (the codes stay stable in the
database and the exports; the labels follow the reader's language). Action labels have their own context: the
same English word ("approved") is a different French word as a status."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from . import formats

ACTION_LABELS = {
    "debate_status": pgettext_lazy("log action", "changed the debate's status"),
    "screen_link_regenerated": pgettext_lazy("log action", "made a new screen link"),
    "settings_changed": pgettext_lazy("log action", "changed the settings"),
    "participant_muted": pgettext_lazy("log action", "muted a participant"),
    "participant_unmuted": pgettext_lazy("log action", "unmuted a participant"),
    "question_approved": pgettext_lazy("log action", "approved"),
    "question_rejected": pgettext_lazy("log action", "rejected"),
    "question_edited": pgettext_lazy("log action", "edited"),
    "question_merged": pgettext_lazy("log action", "merged"),
    "question_starred": pgettext_lazy("log action", "starred"),
    "question_unstarred": pgettext_lazy("log action", "unstarred"),
    "question_on_screen": pgettext_lazy("log action", "put on screen"),
    "screen_cleared": pgettext_lazy("log action", "cleared the screen"),
    "note_sent": pgettext_lazy("log action", "sent a note to the officials"),
    "question_undone": pgettext_lazy("log action", "undid their action"),
    "screen_mode": pgettext_lazy("log action", "changed what the screen shows"),
    "screen_revealed": pgettext_lazy("log action", "revealed the results on screen"),
    "question_answered": pgettext_lazy("log action", "marked answered"),
    "answer_posted": pgettext_lazy("log action", "answered"),
    "poll_created": pgettext_lazy("log action", "created a poll"),
    "poll_opened": pgettext_lazy("log action", "opened a poll"),
    "poll_closed": pgettext_lazy("log action", "closed a poll"),
    "argument_visible": pgettext_lazy("log action", "restored an argument"),
    "argument_held": pgettext_lazy("log action", "held an argument"),
    "argument_hidden": pgettext_lazy("log action", "hid an argument"),
    "clock_start": pgettext_lazy("log action", "started the clock"),
    "clock_pause": pgettext_lazy("log action", "paused the clock"),
    "clock_resume": pgettext_lazy("log action", "resumed the clock"),
    "clock_extend": pgettext_lazy("log action", "added time"),
    "clock_next": pgettext_lazy("log action", "moved to the next segment"),
    "clock_reset": pgettext_lazy("log action", "reset the clock"),
    "role_assigned": pgettext_lazy("log action", "gave a role"),
    "role_removed": pgettext_lazy("log action", "removed a role"),
    "debate_created": pgettext_lazy("log action", "created the debate"),
    "debate_duplicated": pgettext_lazy("log action", "created the debate from a template"),
    "debate_archived": pgettext_lazy("log action", "archived the debate"),
    "debate_unarchived": pgettext_lazy("log action", "unarchived the debate"),
    "agenda_changed": pgettext_lazy("log action", "changed the agenda"),
    "invitation_created": pgettext_lazy("log action", "invited someone"),
    "invitation_renewed": pgettext_lazy("log action", "made a new invitation link"),
    "invitation_revoked": pgettext_lazy("log action", "withdrew an invitation"),
    "invitation_accepted": pgettext_lazy("log action", "accepted an invitation"),
}

OBJECT_LABELS = {
    "debate": _("debate"),
    "participant": _("participant"),
    "question": _("question"),
    "poll": _("poll"),
    "argument": _("argument"),
    "agendasegment": _("agenda segment"),
    "debaterole": _("role"),
    "staffnote": _("note to officials"),
    "invitation": _("invitation"),
}


# Keys of the log's before/after values that are not fields of the logged object (or whose field name reads
# badly), with their label; the other keys take their model field's verbose name.
LOG_KEY_LABELS = {
    "reason": _("reason"),
    "text": _("text"),
    "options": _("options"),
    "upvotes": _("upvotes"),
    "on_screen": _("on screen"),
    "segment": _("segment"),
    "remaining": _("time left"),
    "user": _("user"),
    "answer": _("answer"),
    "name": _("name"),
    "agenda": _("Agenda"),
    "archived": _("archived"),
    "by": _("by"),
    "from": _("from"),
    "for": _("for"),
    "kept_upvotes": _("upvotes of the kept question"),
    "mode": _("screen shows"),
    "poll": _("poll"),
    "revealed": _("results revealed"),
    "undid": _("undid"),
    "merged_into": _("merged into"),
    "status": _("status"),
}


def _logged_field(object_type: str, key: str) -> Any:
    """The model field a logged key names, or None. Only concrete fields: a key may also be the name of a reverse
    relation (Question.upvotes, Question.merged), which has no verbose name nor choices."""
    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist

    try:
        field = apps.get_model("debates", object_type)._meta.get_field(key)
    except (LookupError, FieldDoesNotExist):
        return None
    return field if getattr(field, "concrete", False) else None


def log_key_label(object_type: str, key: str) -> str:
    """“status:”, “pre-moderate questions:”… in the reader's language (and typography), for a key of a log entry's
    before/after values."""
    if key in LOG_KEY_LABELS:
        label = str(LOG_KEY_LABELS[key])
    else:
        field = _logged_field(object_type, key)
        label = str(field.verbose_name) if field is not None else key
    return _("%(label)s:") % {"label": label}


def log_value_label(object_type: str, key: str, value: Any) -> str:
    """A logged value for people: a status or role by its label, yes/no, time as the clock shows it, ids as #n,
    lists joined."""
    if value is None or value == "" or value == []:
        return "–"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if key == "remaining" and isinstance(value, (int, float)):
        return formats.mmss(value)  # the clock's own format
    if key in ("on_screen", "segment", "poll"):
        return f"#{value}"
    if key == "undid":
        return str(ACTION_LABELS.get(value, value))
    if key == "mode":
        from .models import Debate

        return str(dict(Debate.ScreenMode.choices).get(value, value))
    field = _logged_field(object_type, key)
    if field is not None and field.is_relation:
        return f"#{value}"
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)
