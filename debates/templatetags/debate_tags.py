from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def epoch_ms(value: Any) -> int | str:
    """A datetime as milliseconds since the epoch (what the browser clock code reads)."""
    return int(value.timestamp() * 1000) if value else ""


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.filter
def mmss(seconds: Any) -> str:
    """Seconds as M:SS (negative: +M:SS overtime)."""
    try:
        s = int(round(float(seconds)))
    except (TypeError, ValueError):
        return "–"
    sign = "+" if s < 0 else ""
    s = abs(s)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{sign}{h}:{m:02d}:{sec:02d}" if h else f"{sign}{m}:{sec:02d}"


@register.filter
def action_label(code: str) -> str:
    from debates.labels import ACTION_LABELS

    return str(ACTION_LABELS.get(code, code))


@register.filter
def object_label(code: str) -> str:
    from debates.labels import OBJECT_LABELS

    return str(OBJECT_LABELS.get(code, code))


@register.simple_tag
def log_key(object_type: str, key: str) -> str:
    from debates.labels import log_key_label

    return log_key_label(object_type, key)


@register.simple_tag
def log_value(object_type: str, key: str, value: Any) -> str:
    from debates.labels import log_value_label

    return log_value_label(object_type, key, value)


@register.filter
def num(value: Any, decimals: Any = None) -> str:
    """A number in the reader's locale, thousands grouped (1 234 and 50,5 in French; 1,234 and 50.5 in English)."""
    from django.utils.formats import number_format

    if value is None or value == "":
        return ""
    return number_format(value, decimal_pos=None if decimals is None else int(decimals), force_grouping=True)
