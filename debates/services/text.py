"""Cleaning and checking citizens' text: control characters, length limits, the debate's word filter."""

from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _

from ..errors import ServiceError
from ..models import (
    Debate,
)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def matched_words(debate: Debate, text: str) -> list[str]:
    """Words of the debate's filter found in text (accent- and case-insensitive, whole words)."""
    folded = _fold(text)
    found = []
    for word in debate.filtered_words():
        if re.search(rf"(?<!\w){re.escape(_fold(word))}(?!\w)", folded):
            found.append(word)
    return found


def _clean_text(text: str, limit: int, what: str) -> str:
    text = (text or "").strip()
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    if not text:
        raise ServiceError(_("Your %(what)s is empty.") % {"what": what})
    if len(text) > limit:
        raise ServiceError(
            _("Your %(what)s is too long (%(n)d characters, %(limit)d at most).")
            % {"what": what, "n": len(text), "limit": limit}
        )
    return text
