"""{% url %} with its answers remembered (a template builtin: settings.TEMPLATES replaces Django's tag with this one).

Django reverses every {% url %} afresh: ~25 µs here, and the big debate's citizen page has 267 of them (three per
question card, two per poll option and argument): ~7 ms of each load, for the same few hundred URLs every time.
A reverse is a function of the view name, its arguments, the URLconf, the script prefix, the current app and the
language (i18n patterns), so those are the key of a bounded in-process memo. Only plain positional arguments
(int and str) are remembered; keyword arguments and anything else go through Django's reverse as before. Any
change of settings (override_settings of ROOT_URLCONF in tests, say) empties the memo; the URLs are otherwise
fixed for the life of a process.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

register = template.Library()

MEMO_SIZE = 10_000  # URLs kept (about 400 bytes each with their key, 4 MB): the cards of a few big debates


@lru_cache(maxsize=MEMO_SIZE)
def _reverse(
    view_name: str, args: tuple, urlconf: str | None, prefix: str, current_app: str | None, language: str | None
) -> str:
    # prefix and language are part of the key only: reverse reads them from this thread, as the caller does.
    return reverse(view_name, args=args, urlconf=urlconf, current_app=current_app)


def clear_memo(**_kwargs: Any) -> None:
    _reverse.cache_clear()


setting_changed.connect(clear_memo, dispatch_uid="url_memo_clear")


class MemoURLNode(URLNode):
    def render(self, context: Any) -> str:
        if self.kwargs:
            return super().render(context)
        args = tuple(arg.resolve(context) for arg in self.args)
        if not all(type(a) is int or type(a) is str for a in args):
            return super().render(context)
        view_name = self.view_name.resolve(context)
        try:  # as Django's URLNode finds it
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = _reverse(view_name, args, get_urlconf(), get_script_prefix(), current_app, get_language())
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser: Any, token: Any) -> MemoURLNode:
    """Django's {% url %} (same syntax, same output), remembered."""
    node = django_url(parser, token)
    return MemoURLNode(node.view_name, node.args, node.kwargs, node.asvar)
