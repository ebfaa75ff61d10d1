from __future__ import annotations

import re
from typing import Any

from django import template

from debates import formats, labels
from debates.models import Argument

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
def is_for_side(side: Any) -> bool:
    """A side key of a poll's arguments (plain strings: selectors.ARGUMENT_SIDES) is the side for: templates loop
    over the sides without an argument at hand to ask, and never compare them with a string literal."""
    return side == Argument.Side.FOR


register.filter("mmss", formats.mmss)  # seconds as M:SS (the clock's format)


@register.filter
def action_label(code: str) -> str:
    return str(labels.ACTION_LABELS.get(code, code))


@register.filter
def object_label(code: str) -> str:
    return str(labels.OBJECT_LABELS.get(code, code))


@register.simple_tag
def log_key(object_type: str, key: str) -> str:
    return labels.log_key_label(object_type, key)


@register.simple_tag
def log_value(object_type: str, key: str, value: Any) -> str:
    return labels.log_value_label(object_type, key, value)


@register.filter
def num(value: Any, decimals: Any = None) -> str:
    """A number in the reader's locale, thousands grouped (1 234 and 50,5 in French; 1,234 and 50.5 in English)."""
    from django.utils.formats import number_format

    if value is None or value == "":
        return ""
    return number_format(value, decimal_pos=None if decimals is None else int(decimals), force_grouping=True)


# French typography, applied when displaying, never stored: a narrow no-break space before ? ! ; (added after a
# word when missing: "pourquoi?" reads "pourquoi ?"), a no-break space before : (only replacing a space that is there:
# "18:30" and "https://" stay as they are) and inside « ». Nothing changes for other languages.
_FR_SPACE_TIGHT = re.compile(r"(?:[ \u00a0\u202f]+|(?<=\w))([?!;])")
_FR_SPACE_COLON = re.compile(r"[ \u00a0\u202f]+:")
_FR_GUILLEMET_OPEN = re.compile(r"«[ \u00a0\u202f]*")
_FR_GUILLEMET_CLOSE = re.compile(r"[ \u00a0\u202f]*»")


def french_typography(text: str) -> str:
    text = _FR_SPACE_TIGHT.sub("\u202f\\1", text)
    text = _FR_SPACE_COLON.sub("\u00a0:", text)
    text = _FR_GUILLEMET_OPEN.sub("«\u00a0", text)
    return _FR_GUILLEMET_CLOSE.sub("\u00a0»", text)


@register.filter(needs_autoescape=True)
def typo(value: Any, autoescape: bool = True) -> str:
    """Citizens' and moderators' text for display in the page's language (escaped like any variable)."""
    from django.utils.html import conditional_escape
    from django.utils.safestring import mark_safe
    from django.utils.translation import get_language

    text = conditional_escape(value) if autoescape else str(value)
    if (get_language() or "").startswith("fr"):
        # Escaping only adds entities ending in ";" right after a letter or digit ("&amp;", "&#x27;"): protect them.
        text = re.sub(r"&(#?\w+);", "&\\1\x00", str(text))
        text = french_typography(text).replace("\x00", ";")
    return mark_safe(text)  # noqa: S308 — escaped above
