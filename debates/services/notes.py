"""Moderators' short private notes to the officials on stage, pushed live to the staff (console and official view)
only: the "notes" widget has no view for citizens or the screen."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Debate, StaffNote
from ..permissions import require_moderator
from .common import _log, announce
from .text import _clean_text


def staff_note_post(*, debate: Debate, actor: Any, text: str) -> StaffNote:
    require_moderator(debate, actor)
    text = _clean_text(text, StaffNote.MAX_LENGTH, _("note"))
    with transaction.atomic():
        note = StaffNote.objects.create(debate=debate, author=actor, text=text)
        _log(debate, actor, "note_sent", note, {}, {"text": text})
        announce(debate.pk, {"notes", "log"})
    return note
