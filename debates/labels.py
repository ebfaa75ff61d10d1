"""People-readable names for the moderation log's action codes and object types (the codes stay stable in the
database and the exports; the labels follow the reader's language)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "debate_status": _("changed the debate's status"),
    "screen_link_regenerated": _("made a new screen link"),
    "settings_changed": _("changed the settings"),
    "participant_muted": _("muted a participant"),
    "participant_unmuted": _("unmuted a participant"),
    "question_approved": _("approved"),
    "question_rejected": _("rejected"),
    "question_edited": _("edited"),
    "question_merged": _("merged"),
    "question_starred": _("starred"),
    "question_unstarred": _("unstarred"),
    "question_on_screen": _("put on screen"),
    "screen_cleared": _("cleared the screen"),
    "question_answered": _("marked answered"),
    "answer_posted": _("answered"),
    "poll_created": _("created a poll"),
    "poll_opened": _("opened a poll"),
    "poll_closed": _("closed a poll"),
    "argument_visible": _("restored an argument"),
    "argument_held": _("held an argument"),
    "argument_hidden": _("hid an argument"),
    "clock_start": _("started the clock"),
    "clock_pause": _("paused the clock"),
    "clock_resume": _("resumed the clock"),
    "clock_extend": _("added time"),
    "clock_next": _("moved to the next segment"),
    "clock_reset": _("reset the clock"),
    "role_assigned": _("gave a role"),
    "role_removed": _("removed a role"),
}

OBJECT_LABELS = {
    "debate": _("debate"),
    "participant": _("participant"),
    "question": _("question"),
    "poll": _("poll"),
    "argument": _("argument"),
    "agendasegment": _("agenda segment"),
    "debaterole": _("role"),
}
