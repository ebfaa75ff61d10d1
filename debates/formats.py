"""Plain formats shared by the templates' filters (templatetags) and the labels of the moderation log."""

from __future__ import annotations

from typing import Any


def mmss(seconds: Any) -> str:
    """Seconds as M:SS, or H:MM:SS (negative: +M:SS overtime); "–" when not a number."""
    try:
        s = int(round(float(seconds)))
    except (TypeError, ValueError):
        return "–"
    sign = "+" if s < 0 else ""
    s = abs(s)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{sign}{h}:{m:02d}:{sec:02d}" if h else f"{sign}{m}:{sec:02d}"
