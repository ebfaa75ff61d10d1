"""Rendering of the live widgets: once per audience per event, the same HTML for every socket of that audience.

Each widget is a named partial of its page template with a stable root id, `hx-swap-oob` and `data-v` (the
version: the time the database read started, so a browser drops an older fragment arriving late). The pages
include the very same partials, so a widget has exactly one source of HTML.

`WIDGETS` is the one table of them. A row says, for a widget key ("questions", or "poll" for the keys "poll:<id>"):
- which partial each audience role gets (`View`), with the id of that partial's root element and the function
  that reads its data (`context(debate, object id or None, presence)`; None means "nothing to render");
- whether the key names one object (`per_object`: "poll:12"), and whether sockets get it in their snapshot.
A widget's data is read once per event per distinct context function, not once per audience: audiences that
need different data (the moderators' counters, the screen's single poll) have their own function. Two keys whose
views share a root id in one audience (the screen has one poll area for every "poll:<id>") are rendered once.

A per-item widget (one question, one argument, each with its own version) is one more row: `per_object=True`,
a root id with "{id}" in it, and a context function reading that one item.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.http import Http404
from django.template.loader import render_to_string
from django.utils import translation

from . import fragments_consult, selectors
from .models import Debate, Poll

Context = dict[str, Any]
ContextBuilder = Callable[[Debate, "str | None", "int | None"], "Context | None"]


@dataclass(frozen=True)
class View:
    """What one audience role gets for a widget: a partial, its root element's id, and how its data is read."""

    partial: str
    root: str  # "{id}" stands for the object's id in per-object widgets
    context: ContextBuilder


@dataclass(frozen=True)
class Widget:
    key: str
    views: Mapping[str, View]  # audience role → view; a role without a view never receives the widget
    per_object: bool = False  # the key carries an object id: "poll:12"
    snapshot: bool = False  # sent to every socket on (re)connect and included in the pages


SCREEN_TOP = 12  # questions the projected screen lists
ARGUMENTS_PER_SIDE = 10  # arguments a poll shows per side at first


def version_now() -> int:
    return time.time_ns() // 1000


# --- context builders -----------------------------------------------------------------------------------------
def _status(debate: Debate, arg: str | None, presence: int | None) -> Context:
    return {"clock": selectors.clock_state(debate), "agenda": selectors.agenda(debate)}


def _onscreen(debate: Debate, arg: str | None, presence: int | None) -> Context:
    return {"on_screen": selectors.on_screen_question(debate), "officials": selectors.official_titles(debate)}


def _onscreen_for_screen(debate: Debate, arg: str | None, presence: int | None) -> Context:
    """The screen's stage: what a moderator put there (debates.services.screen); the closing slide's results."""
    ctx = _onscreen(debate, arg, presence)
    if debate.screen_mode == Debate.ScreenMode.CLOSING:
        ctx["final_polls"] = [
            poll_view(p, with_arguments=False) for p in selectors.public_polls(debate) if p.status == Poll.Status.CLOSED
        ]
    return ctx


# The screen's slides on the console, each one key away (a poll is picked in the list of polls; "p" shows the first).
SCREEN_MODE_BUTTONS = (
    (Debate.ScreenMode.WELCOME, Debate.ScreenMode.WELCOME.label, "w"),
    (Debate.ScreenMode.QUESTION, Debate.ScreenMode.QUESTION.label, "q"),
    (Debate.ScreenMode.BLANK, Debate.ScreenMode.BLANK.label, "b"),
    (Debate.ScreenMode.CLOSING, Debate.ScreenMode.CLOSING.label, "c"),
)


def _screen_control(debate: Debate, arg: str | None, presence: int | None) -> Context:
    return {
        "on_screen": selectors.on_screen_question(debate),
        "screen_modes": SCREEN_MODE_BUTTONS,
        "screen_polls": [p for p in selectors.all_polls(debate) if p.status != Poll.Status.DRAFT],
    }


def _notes(debate: Debate, arg: str | None, presence: int | None) -> Context:
    return {"notes": selectors.staff_notes(debate)}


# Lists are windows, never whole: what a page shows at first (its "show more" asks for the next window).
def _questions(debate: Debate, arg: str | None, presence: int | None, *, limit: int = selectors.WINDOW) -> Context:
    questions, next_cursor = selectors.question_window(debate, order="top", limit=limit)
    return {
        "questions": questions,
        "next_cursor": next_cursor,
        "officials": selectors.official_titles(debate),
        "question_total": selectors.public_question_count(debate),
        "counters": None,
    }


def _screen_questions(debate: Debate, arg: str | None, presence: int | None) -> Context:
    return _questions(debate, arg, presence, limit=SCREEN_TOP)


def _questions_for_moderators(debate: Debate, arg: str | None, presence: int | None) -> Context:
    page = selectors.approved_page(debate)
    return {
        "approved_page": page,
        "questions": page["items"],
        "officials": selectors.official_titles(debate),
        "counters": selectors.question_counters(debate),
    }


def _queue(debate: Debate, arg: str | None, presence: int | None) -> Context:
    # No merge list per card (the merge box asks for its choices when it opens), one page of each list.
    pending, held = selectors.pending_page(debate), selectors.held_arguments_page(debate)
    return {
        "pending_page": pending,
        "pending": pending["items"],
        "held_page": held,
        "held_arguments": held["items"],
        "counters": selectors.question_counters(debate),
        "trending": selectors.trending_questions(debate),
    }


def _polls(debate: Debate, arg: str | None, presence: int | None) -> Context:
    return {"polls": [poll_view(p) for p in selectors.public_polls(debate)]}


def _polls_for_moderators(debate: Debate, arg: str | None, presence: int | None) -> Context:
    return {"polls": [poll_view(p, moderator=True) for p in selectors.all_polls(debate)]}


def _screen_poll(debate: Debate, arg: str | None, presence: int | None) -> Context:
    return {"poll": screen_poll(debate)}


def _poll_results(debate: Debate, arg: str | None, presence: int | None) -> Context:
    return {"poll": poll_view(selectors.poll_in_debate(debate, arg), with_arguments=False)}


def _poll_arguments(debate: Debate, arg: str | None, presence: int | None) -> Context:
    return {"poll": poll_view(selectors.poll_in_debate(debate, arg), with_results=False)}


def _presence(debate: Debate, arg: str | None, presence: int | None) -> Context | None:
    return None if presence is None else {"presence": presence}


def _log(debate: Debate, arg: str | None, presence: int | None) -> Context:
    return {"log": list(debate.log.select_related("actor")[:30])}


# --- the table ------------------------------------------------------------------------------------------------
CITIZEN, SCREEN, CONSOLE = "debates/citizen.html", "debates/screen.html", "debates/moderate.html"

WIDGETS: dict[str, Widget] = {
    w.key: w
    for w in (
        Widget(
            "status",
            snapshot=True,
            views={
                "public": View(f"{CITIZEN}#status", "status", _status),
                "screen": View(f"{SCREEN}#status", "screen-status", _status),
                "moderators": View(f"{CONSOLE}#status", "mod-status", _status),
            },
        ),
        Widget(
            "onscreen",
            snapshot=True,
            views={
                "public": View(f"{CITIZEN}#onscreen", "onscreen", _onscreen),
                "screen": View(f"{SCREEN}#question", "screen-question", _onscreen_for_screen),
                "moderators": View(f"{CONSOLE}#onscreen", "mod-onscreen", _onscreen),
            },
        ),
        Widget(
            "questions",
            snapshot=True,
            views={
                "public": View(f"{CITIZEN}#questions", "questions", _questions),
                "screen": View(f"{SCREEN}#top", "screen-top", _screen_questions),
                "moderators": View(f"{CONSOLE}#approved", "mod-approved", _questions_for_moderators),
            },
        ),
        Widget(
            "queue",
            snapshot=True,
            views={
                "moderators": View(f"{CONSOLE}#queue", "mod-queue", _queue),
            },
        ),
        Widget(
            "polls",
            snapshot=True,
            views={
                "public": View(f"{CITIZEN}#polls", "polls", _polls),
                "screen": View(f"{SCREEN}#poll", "screen-poll", _screen_poll),
                "moderators": View(f"{CONSOLE}#polls", "mod-polls", _polls_for_moderators),
            },
        ),
        Widget(
            "poll",
            per_object=True,
            views={
                "public": View(f"{CITIZEN}#poll_results", "poll-{id}-results", _poll_results),
                "screen": View(f"{SCREEN}#poll", "screen-poll", _screen_poll),
                "moderators": View(f"{CONSOLE}#poll_results", "mod-poll-{id}-results", _poll_results),
            },
        ),
        Widget(
            "args",
            per_object=True,
            views={
                "public": View(f"{CITIZEN}#poll_args", "poll-{id}-args", _poll_arguments),
                "moderators": View(f"{CONSOLE}#polls", "mod-polls", _polls_for_moderators),
            },
        ),
        Widget(
            "presence",
            snapshot=True,
            views={
                "public": View(f"{CITIZEN}#presence", "presence", _presence),
                "screen": View(f"{SCREEN}#presence", "screen-presence", _presence),
                "moderators": View(f"{CONSOLE}#presence", "mod-presence", _presence),
            },
        ),
        Widget(
            "log",
            snapshot=True,
            views={
                "moderators": View(f"{CONSOLE}#log", "mod-log", _log),
            },
        ),
        # The screen's two areas alone, for a change of what the screen shows (debates.services.screen): the other
        # audiences' pages do not change with it. Not in snapshots: "onscreen" and "polls" bring these areas.
        Widget(
            "stage",
            views={
                "screen": View(f"{SCREEN}#question", "screen-question", _onscreen_for_screen),
            },
        ),
        Widget(
            "screenpoll",
            views={
                "screen": View(f"{SCREEN}#poll", "screen-poll", _screen_poll),
            },
        ),
        # Staff only: no view for citizens or the screen, so a note never leaves the console and the official view.
        Widget(
            "notes",
            snapshot=True,
            views={
                "moderators": View(f"{CONSOLE}#notes", "mod-notes", _notes),
            },
        ),
        Widget(
            "screenctl",
            snapshot=True,
            views={
                "moderators": View(f"{CONSOLE}#screenctl", "mod-screenctl", _screen_control),
            },
        ),
        *fragments_consult.widget_rows(View, Widget),  # proposals (debates/fragments_consult.py)
    )
}

SNAPSHOT_KEYS = tuple(key for key, widget in WIDGETS.items() if widget.snapshot)


def view_for(key: str, audience: str) -> View | None:
    """The view of a widget key ("poll:12" or "status") for an audience role, None if that role never gets it."""
    widget = WIDGETS.get(key.partition(":")[0])
    return widget.views.get(audience) if widget is not None else None


def template_for(key: str, audience: str) -> str | None:
    view = view_for(key, audience)
    return view.partial if view is not None else None


def widget_context(debate: Debate, key: str, audience: str, *, presence: int | None = None) -> Context:
    """The data one widget needs for an audience role (read from the database)."""
    view = view_for(key, audience)
    data = view.context(debate, key.partition(":")[2] or None, presence) if view is not None else None
    return {"debate": debate, "audience": audience, "oob": True, **(data or {})}


def page_context(debate: Debate, audience: str) -> Context:
    """The data of every snapshot widget an audience role's page shows (the page includes the same partials)."""
    ctx: Context = {}
    for key in SNAPSHOT_KEYS:
        if view_for(key, audience) is not None:
            ctx.update(widget_context(debate, key, audience))
    ctx.update(debate=debate, audience=audience, oob=False, v=version_now(), presence=None)
    return ctx


def poll_view(poll: Poll, *, moderator: bool = False, with_results: bool = True, with_arguments: bool = True) -> dict:
    view: dict[str, Any] = {"obj": poll, "id": poll.pk, "show_results": poll.shows_results or moderator}
    if with_results:
        view["tally"] = selectors.poll_tally(poll)
    if with_arguments and poll.is_proposition:
        # The most supported few per side (a window, with the cursor of its "show more") and each side's real total:
        # a new argument or support travels as its own fragment.
        windows = {
            side: selectors.argument_window(poll, side, include_hidden=moderator, limit=ARGUMENTS_PER_SIDE)
            for side in selectors.ARGUMENT_SIDES
        }
        view["arguments"] = {side: items for side, (items, _cursor) in windows.items()}
        view["argument_more"] = {side: cursor for side, (_items, cursor) in windows.items()}
        view["argument_totals"] = selectors.argument_totals(poll, include_hidden=moderator)
    return view


def screen_poll(debate: Debate) -> dict | None:
    """The poll the hall sees: the one a moderator put on screen (debates.services.screen), while the screen shows
    a poll. Hidden results show on screen once the poll closes or a moderator reveals them there."""
    if debate.screen_mode != Debate.ScreenMode.POLL or debate.screen_poll_id is None:
        return None
    try:
        poll = selectors.poll_in_debate(debate, debate.screen_poll_id)
    except Http404:
        return None
    view = poll_view(poll, with_arguments=False)
    view["show_results"] = poll.shows_results or debate.screen_revealed
    return view


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
    contexts: dict[tuple[str, ContextBuilder], Context | None] = {}  # read once per event, not per audience
    for audience_name in audiences:
        role, _dot, language = audience_name.partition(".")
        with translation.override(language or None):
            frames[audience_name] = _render_audience(debate, role, sorted(wanted), presence, version, contexts)
            if items:
                frames[audience_name] += render_items(debate, items, role, version, wanted)
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
    return (
        f'<template id="{item}" hx-swap-oob="delete" data-item="{item}" data-v="{version}" data-tombstone></template>'
    )


def _insert(target: str, item: str, version: int, html: str, where: str = "afterbegin") -> str:
    return f'<div hx-swap-oob="{where}:#{target}" data-item="{item}" data-v="{version}">{html}</div>'


def render_items(
    debate: Debate, items: dict[str, set[int]], audience: str, version: int, widgets: list[str]
) -> list[list[Any]]:
    """The fragments of the given items for one audience, as [key, version, html] (version: the item's)."""
    question_ids = items.get("q+", set()) | items.get("q", set()) | items.get("qn", set()) | items.get("p+", set())
    if audience == "screen":
        return _screen_items(debate, question_ids - items.get("p+", set()), version, widgets)
    questions = selectors.questions_by_id(debate, question_ids) if question_ids else {}
    base = {"debate": debate, "audience": audience, "officials": selectors.official_titles(debate) if questions else {}}
    moderators = audience == "moderators"
    out = _question_items(items, questions, base, moderators)
    if moderators and "counters" in items and "queue" not in widgets:
        out.append(
            [
                "counters",
                version,
                render_to_string(
                    "debates/moderate.html#counters",
                    {**base, "counters": selectors.question_counters(debate), "item_oob": True, "v": version},
                ),
            ]
        )
    argument_ids = items.get("a+", set()) | items.get("a", set()) | items.get("an", set())
    if argument_ids and not moderators:
        out.extend(_argument_items(debate, items, argument_ids, base))
    return out


def _screen_items(debate: Debate, changed: set[int], version: int, widgets: list[str]) -> list[list[Any]]:
    """The screen shows only its top questions: any change among them re-renders that short list."""
    if not changed or "questions" in widgets:
        return []
    ctx = widget_context(debate, "questions", "screen")
    return [
        [
            "questions",
            version,
            render_to_string(template_for("questions", "screen") or "", {**ctx, "audience": "screen", "v": version}),
        ]
    ]


def _question_items(
    items: dict[str, set[int]], questions: dict[int, Any], base: dict[str, Any], moderators: bool
) -> list[list[Any]]:
    out: list[list[Any]] = []
    for kind in ("q+", "q", "qn", "p+"):
        for qid in sorted(items.get(kind, ())):
            q = questions.get(qid)
            if q is None:
                continue
            key = f"{kind}:{qid}"
            if moderators:
                out.extend([key, q.version, html] for html in _moderator_question(kind, q, base))
            elif kind != "p+":
                out.append([key, q.version, _public_question(kind, q, base)])
    return out


def _public_question(kind: str, q: Any, base: dict[str, Any]) -> str:
    if not _is_public(q):
        return _tombstone(f"q-{q.pk}", q.version)
    if kind == "qn":
        return render_to_string("debates/citizen.html#question_count", {**base, "q": q, "count_oob": True})
    if kind == "q+":
        html = render_to_string("debates/citizen.html#question", {**base, "q": q})
        return _insert("qlist", f"q-{q.pk}", q.version, html)
    return render_to_string("debates/citizen.html#question", {**base, "q": q, "item_oob": True})


def _argument_items(
    debate: Debate, items: dict[str, set[int]], argument_ids: set[int], base: dict[str, Any]
) -> list[list[Any]]:
    out: list[list[Any]] = []
    arguments = selectors.arguments_by_id(debate, argument_ids)
    totals: dict[int, dict[str, int]] = {}  # per poll, read once: an insert or a removal changes a side's total

    def total(a: Any) -> str:
        if a.poll_id not in totals:
            totals[a.poll_id] = selectors.argument_totals(a.poll)
        n = totals[a.poll_id].get(a.side, 0)
        ctx = {"poll": {"id": a.poll_id}, "side": a.side, "n": n, "total_oob": True}
        return render_to_string("debates/citizen.html#argument_total", ctx)

    for kind in ("a+", "a", "an"):
        for aid in sorted(items.get(kind, ())):
            a = arguments.get(aid)
            if a is None:
                continue
            key, item = f"{kind}:{aid}", f"arg-{aid}"
            ctx = {**base, "a": a, "poll": {"id": a.poll_id, "obj": a.poll}}
            if a.status != a.Status.VISIBLE:
                out.append([key, a.version, _tombstone(item, a.version) + total(a)])
            elif kind == "an":
                out.append(
                    [
                        key,
                        a.version,
                        render_to_string("debates/citizen.html#argument_count", {**ctx, "count_oob": True}),
                    ]
                )
            elif kind == "a+":
                html = render_to_string("debates/citizen.html#argument", ctx)
                insert = _insert(f"poll-{a.poll_id}-{a.side}", item, a.version, html, where="beforeend")
                out.append([key, a.version, insert + total(a)])
            else:
                out.append(
                    [key, a.version, render_to_string("debates/citizen.html#argument", {**ctx, "item_oob": True})]
                )
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
        return [
            _insert(
                "mq-list",
                f"mq-{qid}",
                q.version,
                render_to_string("debates/moderate.html#pending_item", {**base, "q": q}),
            )
        ]
    out = []
    if pending:
        out.append(render_to_string("debates/moderate.html#pending_item", {**base, "q": q, "item_oob": True}))
    else:
        out.append(_tombstone(f"mq-{qid}", q.version))
    if not _is_public(q):
        out.append(_tombstone(f"ma-{qid}", q.version))
    elif kind == "q+":
        out.append(
            _insert(
                "ma-list",
                f"ma-{qid}",
                q.version,
                render_to_string("debates/moderate.html#approved_item", {**base, "q": q}),
            )
        )
    else:
        out.append(render_to_string("debates/moderate.html#approved_item", {**base, "q": q, "item_oob": True}))
    return out
