"""Per-item fragments: one question or argument, with its own id and version, never its list."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string

from .. import selectors
from ..models import Debate
from .widgets import SCREEN_TOP, template_for, widget_context

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
COUNT_KINDS = frozenset({"qn", "an"})  # fragments of a count only


def is_count_flush(items: dict[str, set[int]]) -> bool:
    """True when an event's items are counts only (an upvote or support flush): no card, no list changes."""
    return set(items) <= COUNT_KINDS


def counts_only(items: dict[str, set[int]], question_ids: set[int]) -> bool:
    """True when, of these questions, the event changed nothing but upvote counts: nothing a card shows."""
    return question_ids <= items.get("qn", set()) - items.get("q", set()) - items.get("q+", set())


def split_item_keys(keys: list[str]) -> tuple[list[str], dict[str, set[int]]]:
    """(widget keys, {item kind: ids}); a malformed id is ignored."""
    widgets: list[str] = []
    items: dict[str, set[int]] = {}
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
    debate: Debate,
    items: dict[str, set[int]],
    audience: str,
    version: int,
    widgets: list[str],
    reads: dict[str, Any] | None = None,
) -> list[list[Any]]:
    """The fragments of the given items for one audience, as [key, version, html] (version: the item's). `reads`
    keeps what was read for an earlier audience of the same event: the items are read once, rendered per audience."""
    reads = {} if reads is None else reads
    question_ids = items.get("q+", set()) | items.get("q", set()) | items.get("qn", set()) | items.get("p+", set())
    if audience == "screen":
        return _screen_items(debate, items, question_ids - items.get("p+", set()), version, widgets)
    if "questions" not in reads:
        if counts_only(items, question_ids):  # an upvote flush: counts only, nothing of what a card shows
            reads["questions"] = selectors.question_counts_by_id(debate, question_ids) if question_ids else {}
            reads["officials"] = {}
        else:
            reads["questions"] = selectors.questions_by_id(debate, question_ids) if question_ids else {}
            # The officials' titles badge answers only (a new question has none): read when a card shows one.
            answered = any(q.answers.all() for q in reads["questions"].values())
            reads["officials"] = selectors.official_titles(debate) if answered else {}
    questions = reads["questions"]
    base = {"debate": debate, "audience": audience, "officials": reads["officials"]}
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


def _screen_items(
    debate: Debate, items: dict[str, set[int]], changed: set[int], version: int, widgets: list[str]
) -> list[list[Any]]:
    """The screen shows only its top questions: a change that may concern them re-renders that short list; an
    upvote of a question far below them does not (most upvotes of a big debate)."""
    if not changed or "questions" in widgets:
        return []
    if counts_only(items, changed) and not selectors.count_change_may_reorder_top(debate, changed, SCREEN_TOP):
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
    out: list[str] = []
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
