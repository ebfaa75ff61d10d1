"""Ids as sent by browsers, keyset windows with signed cursors, and numbered pages: what every list and
lookup of the selectors shares."""

from __future__ import annotations

from typing import Any

from django.core import signing

MAX_ID = 2**63 - 1  # the largest key of SQLite and PostgreSQL: a larger number overflows the query (a 500)


def parse_id(value: Any) -> int | None:
    """An id as sent in a form or a URL, or None when it cannot name a row (not a number, negative, too large)."""
    try:
        number = int(str(value).strip()) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    except ValueError:
        return None
    return number if number is not None and 0 < number <= MAX_ID else None


# --- windows: what a page shows of a list, never the whole list ------------------------------------------------------
# Lists are read in windows of WINDOW items with keyset cursors: opaque to the browser (signed, so a forged or stale
# one is refused with a 400, never a 500), stable while items are added (no OFFSET: a new question does not shift
# the next page), cheap at any depth (an index range, not a count of what comes before).
WINDOW = 30
MAX_WINDOW = 100
CURSOR_SALT = "debates.cursor"


class BadCursor(ValueError):
    """A cursor that this server did not issue for this list (or garbled): the view answers 400."""


def encode_cursor(kind: str, debate_id: int, key: list[Any]) -> str:
    return signing.dumps([kind, debate_id, key], salt=CURSOR_SALT, compress=True)


def decode_cursor(raw: str | None, kind: str, debate_id: int) -> list[Any] | None:
    """The position a cursor names, None for the first window; BadCursor when it is not ours for this list."""
    if not raw:
        return None
    try:
        got_kind, got_debate, key = signing.loads(str(raw), salt=CURSOR_SALT)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise BadCursor("bad cursor") from exc
    if got_kind != kind or got_debate != debate_id or not isinstance(key, list):
        raise BadCursor("cursor for another list")
    return key


def clamp_limit(raw: Any, default: int = WINDOW) -> int:
    try:
        return max(1, min(MAX_WINDOW, int(raw)))
    except (TypeError, ValueError):
        return default


def _like_pattern(search: str) -> str:
    return "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def page_of(qs: Any, page: Any, per_page: int) -> dict[str, Any]:
    """A numbered page with the exact count (the console's lists: moderators need to know how many remain)."""
    from django.core.paginator import Paginator

    paginator = Paginator(qs, per_page)
    current = paginator.get_page(page)
    return {
        "items": list(current.object_list),
        "count": paginator.count,
        "number": current.number,
        "pages": paginator.num_pages,
        "has_next": current.has_next(),
        "has_previous": current.has_previous(),
    }


CONSOLE_PAGE = 50


def _existing_id(value: Any) -> int:
    number = parse_id(value)
    if number is None:
        raise ValueError("not an id")
    return number
