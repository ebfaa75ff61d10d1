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

from . import selectors
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
}

PER_OBJECT = {
    "debates/citizen.html#poll_results",
    "debates/citizen.html#poll_args",
    "debates/moderate.html#poll_results",
}

# Widgets whose data depends on the audience's role (the others are read once for every audience).
ROLE_DEPENDENT = {"questions", "queue", "polls", "poll", "args", "log"}

SNAPSHOT_KEYS = ("status", "onscreen", "questions", "queue", "polls", "presence", "log")

SCREEN_TOP = 12  # questions the projected screen lists
ARGUMENTS_PER_SIDE = 10  # arguments a poll shows per side at first


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
        # Windows, never the whole list: what a page shows at first (its "show more" asks for the next window).
        if audience == "moderators":
            ctx["approved_page"] = selectors.approved_page(debate)
            ctx["questions"] = ctx["approved_page"]["items"]
            ctx["counters"] = selectors.question_counters(debate)
        else:
            limit = SCREEN_TOP if audience == "screen" else selectors.WINDOW
            ctx["questions"], ctx["next_cursor"] = selectors.question_window(debate, order="top", limit=limit)
            ctx["question_total"] = selectors.public_question_count(debate)
        ctx["officials"] = selectors.official_titles(debate)
    elif kind == "queue":
        ctx["pending_page"] = selectors.pending_page(debate)
        ctx["pending"] = ctx["pending_page"]["items"]
        ctx["held_page"] = selectors.held_arguments_page(debate)
        ctx["held_arguments"] = ctx["held_page"]["items"]
        ctx["counters"] = selectors.question_counters(debate)
        ctx["trending"] = selectors.trending_questions(debate)
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
    return ctx


def poll_view(poll: Poll, *, moderator: bool = False, with_results: bool = True, with_arguments: bool = True) -> dict:
    view: dict[str, Any] = {"obj": poll, "id": poll.pk, "show_results": poll.shows_results or moderator}
    if with_results:
        view["tally"] = selectors.poll_tally(poll)
    if with_arguments and poll.is_proposition:
        # The most supported few per side (a window): a new argument or support travels as its own fragment.
        view["arguments"] = selectors.poll_arguments(poll, include_hidden=moderator, limit=ARGUMENTS_PER_SIDE)
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
    wanted, items = split_item_keys(wanted)
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
            if items:
                out.extend(render_items(debate, items, audience, version, wanted))
    return frames


# --- per-item fragments ---------------------------------------------------------------------------------------------
# An event about one item sends that item, never its list: keys "<kind>:<id>", rendered per audience as one fragment
# each, carrying the item's id (data-item) and its row version (data-v: models' `version`, bumped in the UPDATE that
# changed it). static/js/live.js keeps the highest version it saw per item and drops older fragments, removals
# included (a tombstone: a late insert cannot bring back a hidden or merged item).
#   q+:<id>   a question was published: inserted at the top of the lists that show it (the console: also out of
#             its queue)
#   q:<id>    a question changed: its card replaced where it is shown, or a tombstone when it is no longer public
#   qn:<id>   its upvote count changed: only the count (a hundred bytes)
#   p+:<id>   a new pending question (moderators: top of the queue)
#   a+:<id>   a visible argument was posted; a:<id> changed (tombstone when hidden); an:<id> its support count
#   counters  the console's question counters
# The projected screen shows the top few questions as one small widget: item keys re-render it (bounded).
ITEM_KINDS = ("q+", "q", "qn", "p+", "a+", "a", "an")


def split_item_keys(keys: list[str]) -> tuple[list[str], dict[str, set[int]]]:
    """(widget keys, {item kind: ids}); a malformed id is ignored."""
    widgets, items = [], {}
    for key in keys:
        kind, _, arg = key.partition(":")
        if kind in ITEM_KINDS or key == "counters":
            if key == "counters":
                items.setdefault("counters", set())
            elif arg.isdigit():
                items.setdefault(kind, set()).add(int(arg))
        else:
            widgets.append(key)
    return widgets, items


def _tombstone(item: str, version: int) -> str:
    return f'<template id="{item}" hx-swap-oob="delete" data-item="{item}" data-v="{version}" data-tombstone></template>'


def _insert(target: str, item: str, version: int, html: str, where: str = "afterbegin") -> str:
    return f'<div hx-swap-oob="{where}:#{target}" data-item="{item}" data-v="{version}">{html}</div>'


def render_items(debate: Debate, items: dict[str, set[int]], audience: str, version: int,
                 widgets: list[str]) -> list[list[Any]]:
    """The fragments of the given items for one audience, as [key, version, html] (version: the item's)."""
    out: list[list[Any]] = []
    question_ids = items.get("q+", set()) | items.get("q", set()) | items.get("qn", set()) | items.get("p+", set())
    if audience == "screen":
        if (question_ids - items.get("p+", set())) and "questions" not in widgets:
            ctx = widget_context(debate, "questions", "screen")
            out.append(["questions", version, render_to_string(WIDGETS["questions"]["screen"],
                                                               {**ctx, "audience": audience, "v": version})])
        return out
    questions = selectors.questions_by_id(debate, question_ids) if question_ids else {}
    base = {"debate": debate, "audience": audience, "officials": selectors.official_titles(debate) if questions else {}}
    moderators = audience == "moderators"
    for kind in ("q+", "q", "qn", "p+"):
        for qid in sorted(items.get(kind, ())):
            q = questions.get(qid)
            if q is None:
                continue
            key = f"{kind}:{qid}"
            if moderators:
                out.extend([key, q.version, html] for html in _moderator_question(kind, q, base))
            elif kind == "p+":
                continue
            elif not _is_public(q):
                out.append([key, q.version, _tombstone(f"q-{qid}", q.version)])
            elif kind == "qn":
                out.append([key, q.version, render_to_string("debates/citizen.html#question_count",
                                                             {**base, "q": q, "count_oob": True})])
            elif kind == "q+":
                html = render_to_string("debates/citizen.html#question", {**base, "q": q})
                out.append([key, q.version, _insert("qlist", f"q-{qid}", q.version, html)])
            else:
                out.append([key, q.version, render_to_string("debates/citizen.html#question",
                                                             {**base, "q": q, "item_oob": True})])
    if moderators and "counters" in items and "queue" not in widgets:
        out.append(["counters", version, render_to_string("debates/moderate.html#counters", {
            **base, "counters": selectors.question_counters(debate), "item_oob": True, "v": version})])
    argument_ids = items.get("a+", set()) | items.get("a", set()) | items.get("an", set())
    if argument_ids and not moderators:
        arguments = selectors.arguments_by_id(debate, argument_ids)
        for kind in ("a+", "a", "an"):
            for aid in sorted(items.get(kind, ())):
                a = arguments.get(aid)
                if a is None:
                    continue
                key, item = f"{kind}:{aid}", f"arg-{aid}"
                ctx = {**base, "a": a, "poll": {"id": a.poll_id, "obj": a.poll}}
                if a.status != a.Status.VISIBLE:
                    out.append([key, a.version, _tombstone(item, a.version)])
                elif kind == "an":
                    out.append([key, a.version, render_to_string("debates/citizen.html#argument_count",
                                                                 {**ctx, "count_oob": True})])
                elif kind == "a+":
                    html = render_to_string("debates/citizen.html#argument", ctx)
                    out.append([key, a.version, _insert(f"poll-{a.poll_id}-{a.side}", item, a.version, html,
                                                        where="beforeend")])
                else:
                    out.append([key, a.version, render_to_string("debates/citizen.html#argument",
                                                                 {**ctx, "item_oob": True})])
    return out


def _is_public(q: Any) -> bool:
    return q.is_public and q.merged_into_id is None


def _moderator_question(kind: str, q: Any, base: dict[str, Any]) -> list[str]:
    """A question's fragments in the console: its pending card (queue) or its approved card, never both."""
    qid = q.pk
    if kind == "qn":
        return [render_to_string("debates/moderate.html#approved_count", {**base, "q": q, "count_oob": True})]
    pending = q.status == q.Status.PENDING and q.merged_into_id is None
    if kind == "p+":
        if not pending:
            return []
        return [_insert("mq-list", f"mq-{qid}", q.version, render_to_string("debates/moderate.html#pending_item",
                                                                            {**base, "q": q}))]
    out = []
    if pending:
        out.append(render_to_string("debates/moderate.html#pending_item", {**base, "q": q, "item_oob": True}))
    else:
        out.append(_tombstone(f"mq-{qid}", q.version))
    if not _is_public(q):
        out.append(_tombstone(f"ma-{qid}", q.version))
    elif kind == "q+":
        out.append(_insert("ma-list", f"ma-{qid}", q.version, render_to_string("debates/moderate.html#approved_item",
                                                                               {**base, "q": q})))
    else:
        out.append(render_to_string("debates/moderate.html#approved_item", {**base, "q": q, "item_oob": True}))
    return out
