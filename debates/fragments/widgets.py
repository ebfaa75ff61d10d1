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
a root id with "{id}" in it, and a context function reading that one item."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.http import Http404

from .. import fragments_consult, selectors
from ..models import Debate, Poll

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
ARTICLE_ARGUMENTS_PER_SIDE = 3  # on a text's page, each of its articles: the page stays short with many articles


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
        closed = [p for p in selectors.public_polls(debate) if p.status == Poll.Status.CLOSED]
        ctx["final_polls"] = poll_views(closed, with_arguments=False)
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
    return {"polls": poll_views(selectors.public_polls(debate, with_articles=False))}


def _polls_for_moderators(debate: Debate, arg: str | None, presence: int | None) -> Context:
    # Each proposition's arguments are listed when its <details> opens (views_moderation_panels): a consultation's
    # ten articles listed 200 arguments with their forms in every console load and every push of the polls.
    return {"polls": poll_views(selectors.all_polls(debate), moderator=True, argument_lists=False)}


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


def poll_view(
    poll: Poll,
    *,
    moderator: bool = False,
    with_results: bool = True,
    with_arguments: bool = True,
    arguments_per_side: int = ARGUMENTS_PER_SIDE,
) -> dict:
    return poll_views(
        [poll],
        moderator=moderator,
        with_results=with_results,
        with_arguments=with_arguments,
        arguments_per_side=arguments_per_side,
    )[0]


def poll_views(
    polls: list[Poll],
    *,
    moderator: bool = False,
    with_results: bool = True,
    with_arguments: bool = True,
    arguments_per_side: int = ARGUMENTS_PER_SIDE,
    argument_lists: bool = True,
) -> list[dict]:
    """What a poll's card shows, for each poll; read in a few queries for all of them (a page shows every poll).
    argument_lists=False: each side's total only, not its first arguments (the console lists them on demand)."""
    tallies = selectors.poll_tallies(polls) if with_results else {}
    propositions = [p for p in polls if p.is_proposition] if with_arguments else []
    # The most supported few per side (a window, with the cursor of its "show more") and each side's real total:
    # a new argument or support travels as its own fragment.
    windows = (
        selectors.first_argument_windows(propositions, include_hidden=moderator, limit=arguments_per_side)
        if propositions and argument_lists
        else {}
    )
    totals = selectors.argument_totals_many(propositions, include_hidden=moderator) if propositions else {}
    views = []
    for poll in polls:
        view: dict[str, Any] = {"obj": poll, "id": poll.pk, "show_results": poll.shows_results or moderator}
        if with_results:
            view["tally"] = tallies[poll.pk]
        if poll.pk in totals:
            view["argument_totals"] = totals[poll.pk]
        if poll.pk in totals and argument_lists:
            sides = {side: windows[(poll.pk, side)] for side in selectors.ARGUMENT_SIDES}
            view["arguments"] = {side: items for side, (items, _cursor) in sides.items()}
            view["argument_more"] = {side: cursor for side, (_items, cursor) in sides.items()}
        views.append(view)
    return views


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
