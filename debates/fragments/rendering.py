"""The registered live renderer: every widget and item of an event, once per audience."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import router
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import translation

from ..models import Debate
from .items import is_count_flush, render_items, split_item_keys
from .widgets import SNAPSHOT_KEYS, Context, ContextBuilder, version_now, view_for


def render(debate_id: int, keys: Iterable[str] | None, audiences: Iterable[str], presence: int | None) -> dict:
    """The registered live renderer: per audience, [key, version, html] for each widget that concerns it."""
    version = version_now()
    wanted = list(keys) if keys is not None else list(SNAPSHOT_KEYS)
    wanted, items = split_item_keys(wanted)
    if not wanted and is_count_flush(items):
        # An upvote or support flush: count fragments name no debate field, so the debate is not read at all (a
        # query of the two an upvote's render costs); a field something does read loads on demand (deferred).
        debate = Debate.from_db(router.db_for_read(Debate), ["id"], [debate_id])
    else:
        debate = Debate.objects.select_related("current_segment", "on_screen").get(pk=debate_id)
    if keys is not None and "polls" in wanted:
        # A structural render of the polls already carries every poll's results and arguments.
        wanted = [k for k in wanted if not k.startswith(("poll:", "args:"))]
    frames: dict[str, list[list[Any]]] = {}
    contexts: dict[tuple[str, ContextBuilder], Context | None] = {}  # read once per event, not per audience
    reads: dict[str, Any] = {}  # the same for the items
    for audience_name in audiences:
        role, _dot, language = audience_name.partition(".")
        with translation.override(language or None):
            frames[audience_name] = _render_audience(debate, role, sorted(wanted), presence, version, contexts)
            if items:
                frames[audience_name] += render_items(debate, items, role, version, wanted, reads)
    return frames


def _render_audience(
    debate: Debate,
    role: str,
    keys: list[str],
    presence: int | None,
    version: int,
    contexts: dict[tuple[str, ContextBuilder], Context | None],
) -> list[list[Any]]:
    out: list[list[Any]] = []
    roots: set[str] = set()
    for key in keys:
        view = view_for(key, role)
        if view is None:
            continue
        arg = key.partition(":")[2] or None
        root = view.root.format(id=arg)
        if root in roots:  # several keys map to one element (the screen's poll, the moderators' polls)
            continue
        roots.add(root)
        if (key, view.context) not in contexts:
            try:
                contexts[(key, view.context)] = view.context(debate, arg, presence)
            except Http404:  # e.g. a poll deleted meanwhile
                contexts[(key, view.context)] = None
        data = contexts[(key, view.context)]
        if data is None:
            continue
        ctx = {"debate": debate, "oob": True, **data, "audience": role, "v": version}
        out.append([key, version, render_to_string(view.partial, ctx)])
    return out
