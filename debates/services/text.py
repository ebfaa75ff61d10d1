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


# Zero-width joiner and non-joiner are format characters (category Cf) that some scripts and emoji need.
_KEPT_FORMAT = frozenset("\u200c\u200d")


def strip_controls(text: str, *, keep: str = "\n\t") -> str:
    """text without control, format (bidi overrides, zero-width…), surrogate, private-use or unassigned characters.

    NUL in particular: PostgreSQL refuses it in text (a 500). Bidi overrides (U+202E…) would let a name or a
    question display as something else than what moderators approved.
    """
    if not isinstance(text, str):
        return ""
    return "".join(ch for ch in text if ch in keep or ch in _KEPT_FORMAT or unicodedata.category(ch)[0] != "C")


def clean_line(text: str, limit: int | None = None) -> str:
    """A one-line value (a name, a reason, an option, a filter): controls removed, runs of space as one, trimmed,
    cut at limit."""
    line = " ".join(strip_controls(text, keep="\t\n").split())
    return line[:limit] if limit is not None else line


def _clean_text(text: str, limit: int, what: str) -> str:
    text = strip_controls(text).strip()
    if not text:
        raise ServiceError(_("Your %(what)s is empty.") % {"what": what})
    # Stored composed (NFC), and the limit counts code points of that form: what the page's counter shows
    # (live.js counts the same way), so "é" typed as e + accent counts once and a limit is never a surprise.
    text = unicodedata.normalize("NFC", text)
    if len(text) > limit:
        raise ServiceError(
            _("Your %(what)s is too long (%(n)d characters, %(limit)d at most).")
            % {"what": what, "n": len(text), "limit": limit}
        )
    return text
