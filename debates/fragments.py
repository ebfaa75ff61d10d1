"""Rendering of the live widgets: once per audience per event, the same HTML for every socket of that audience.

Each widget is a named partial of its page template with a stable root id, `hx-swap-oob` and `data-v` (the
version: the time the database read started, so a browser drops an older fragment arriving late). The pages
include the very same partials, so a widget has exactly one source of HTML.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from django.http import Http404
from django.template.loader import render_to_string
from django.utils import translation

from . import fragments_consult, selectors
from .models import Debate, Poll

# widget key (or key prefix before ":") → partial per audience
WIDGETS: dict[str, dict[str, str]] = {
    "status": {
        "public": "debates/citizen.html#status",
        "screen": "debates/screen.html#status",
        "moderators": "debates/moderate.html#status",
    },
    "onscreen": {
        "public": "debates/citizen.html#onscreen",
        "screen": "debates/screen.html#question",
        "moderators": "debates/moderate.html#onscreen",
    },
    "questions": {
        "public": "debates/citizen.html#questions",
        "screen": "debates/screen.html#top",
        "moderators": "debates/moderate.html#approved",
    },
    "queue": {"moderators": "debates/moderate.html#queue"},
    "polls": {
        "public": "debates/citizen.html#polls",
        "screen": "debates/screen.html#poll",
        "moderators": "debates/moderate.html#polls",
    },
    "poll": {
        "public": "debates/citizen.html#poll_results",
        "screen": "debates/screen.html#poll",
        "moderators": "debates/moderate.html#poll_results",
    },
    "args": {"public": "debates/citizen.html#poll_args", "moderators": "debates/moderate.html#polls"},
    "presence": {
        "public": "debates/citizen.html#presence",
        "screen": "debates/screen.html#presence",
        "moderators": "debates/moderate.html#presence",
    },
    "log": {"moderators": "debates/moderate.html#log"},
    **fragments_consult.WIDGETS,
}

PER_OBJECT = {
    "debates/citizen.html#poll_results",
    "debates/citizen.html#poll_args",
    "debates/moderate.html#poll_results",
    *fragments_consult.PER_OBJECT,
}

# Widgets whose data depends on the audience's role (the others are read once for every audience).
ROLE_DEPENDENT = {"questions", "queue", "polls", "poll", "args", "log", *fragments_consult.ROLE_DEPENDENT}

SNAPSHOT_KEYS = ("status", "onscreen", "questions", "queue", "polls", "presence", "log")


def version_now() -> int:
    return time.time_ns() // 1000


def widget_context(debate: Debate, key: str, audience: str, *, presence: int | None = None) -> dict[str, Any]:
    """The data one widget needs (read from the database)."""
    kind, _, arg = key.partition(":")
    ctx: dict[str, Any] = {"debate": debate, "audience": audience, "oob": True}
    if kind == "status":
        ctx["clock"] = selectors.clock_state(debate)
        ctx["agenda"] = selectors.agenda(debate)
    elif kind == "onscreen":
        ctx["on_screen"] = selectors.on_screen_question(debate)
        ctx["officials"] = selectors.official_titles(debate)
    elif kind == "questions":
        ctx["questions"] = selectors.public_questions(debate)
        ctx["officials"] = selectors.official_titles(debate)
        ctx["counters"] = selectors.question_counters(debate) if audience == "moderators" else None
    elif kind == "queue":
        ctx["pending"] = selectors.pending_questions(debate)
        ctx["held_arguments"] = selectors.held_arguments(debate)
        ctx["counters"] = selectors.question_counters(debate)
        ctx["merge_targets"] = selectors.public_questions(debate)
        ctx["trending"] = [q for q in ctx["merge_targets"] if q.upvote_count >= debate.trending_threshold
                           and q.status == "approved"]
    elif kind in ("polls", "args") and audience == "moderators":
        ctx["polls"] = [poll_view(p, moderator=True) for p in selectors.all_polls(debate)]
    elif kind == "polls" or (kind == "poll" and audience == "screen"):
        if audience == "screen":
            ctx["poll"] = screen_poll(debate)
        else:
            ctx["polls"] = [poll_view(p) for p in selectors.public_polls(debate)]
    elif kind == "poll":
        ctx["poll"] = poll_view(selectors.poll_in_debate(debate, arg), with_arguments=False)
    elif kind == "args":
        ctx["poll"] = poll_view(selectors.poll_in_debate(debate, arg), with_results=False)
    elif kind == "presence":
        ctx["presence"] = presence if presence is not None else 0
    elif kind == "log":
        ctx["log"] = list(debate.log.select_related("actor")[:30])
    elif kind in fragments_consult.WIDGETS:
        ctx.update(fragments_consult.widget_context(debate, kind, arg, audience))
    return ctx


def poll_view(poll: Poll, *, moderator: bool = False, with_results: bool = True, with_arguments: bool = True) -> dict:
    view: dict[str, Any] = {"obj": poll, "id": poll.pk, "show_results": poll.shows_results or moderator}
    if with_results:
        view["tally"] = selectors.poll_tally(poll)
    if with_arguments and poll.is_proposition:
        view["arguments"] = selectors.poll_arguments(poll, include_hidden=moderator)
    return view


def screen_poll(debate: Debate) -> dict | None:
    """The poll the room sees: the open one, else the last closed."""
    polls = selectors.public_polls(debate)
    open_polls = [p for p in polls if p.status == Poll.Status.OPEN]
    chosen = open_polls[-1] if open_polls else (max(polls, key=lambda p: p.closed_at or p.created_at) if polls else None)
    return poll_view(chosen, with_arguments=False) if chosen else None


def template_for(key: str, audience: str) -> str | None:
    kind = key.partition(":")[0]
    return WIDGETS.get(kind, {}).get(audience)


def render(debate_id: int, keys: Iterable[str] | None, audiences: Iterable[str], presence: int | None) -> dict:
    """The registered live renderer: per audience, [key, version, html] for each widget that concerns it."""
    version = version_now()
    debate = Debate.objects.select_related("current_segment", "on_screen").get(pk=debate_id)
    wanted = list(keys) if keys is not None else list(SNAPSHOT_KEYS)
    if keys is not None and "polls" in wanted:
        # A structural render of the polls already carries every poll's results and arguments.
        wanted = [k for k in wanted if not k.startswith(("poll:", "args:"))]
    frames: dict[str, list[list[Any]]] = {}
    # A widget's data is read once per event, not once per audience: only some widgets differ by role, none by
    # language (audiences are role × language).
    contexts: dict[tuple[str, str], dict[str, Any] | None] = {}
    for audience_name in audiences:
        role, _dot, language = audience_name.partition(".")
        with translation.override(language or None):
            audience = role
            seen_templates: set[str] = set()
            out = frames.setdefault(audience_name, [])
            for key in sorted(wanted):
                template = template_for(key, audience)
                if template is None:
                    continue
                # Several keys can map to one widget (the screen's poll, the moderators' polls): render it once.
                identity = template + (":" + key.partition(":")[2] if template in PER_OBJECT else "")
                if identity in seen_templates:
                    continue
                seen_templates.add(identity)
                if key == "presence" and presence is None:
                    continue
                variant = (key, audience if key.partition(":")[0] in ROLE_DEPENDENT else "*")
                if variant not in contexts:
                    try:
                        contexts[variant] = widget_context(debate, key, audience, presence=presence)
                    except Http404:  # e.g. a poll deleted meanwhile
                        contexts[variant] = None
                if contexts[variant] is None:
                    continue
                ctx = {**contexts[variant], "audience": audience, "v": version}
                out.append([key, version, render_to_string(template, ctx)])
    return frames
