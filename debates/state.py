"""The public state of a debate as JSON (the /api/d/<CODE>/state read API). Same selectors as the pages, so its
numbers are the pages' numbers."""

from __future__ import annotations

from typing import Any

from . import selectors
from .fragments import ARGUMENTS_PER_SIDE
from .open_data_consult import state_sections
from .models import Debate


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


API_WINDOW = 100  # questions per response by default…
API_MAX_WINDOW = 500  # …and at most: a 150,000-contribution consultation is read window by window (next_cursor)


def public_state(
    debate: Debate, *, order: str = "top", limit: int = API_WINDOW, cursor: str | None = None
) -> dict[str, Any]:
    """The debate's public state; its questions one window at a time (`order` top or recent, `limit` up to
    API_MAX_WINDOW, `cursor` from the previous answer's `next_cursor`, None at the end); arguments a window per side
    with their totals. Raises selectors.BadCursor for a bad order or cursor."""
    officials = selectors.official_titles(debate)
    on_screen = selectors.on_screen_question(debate)

    def question(q: Any) -> dict[str, Any]:
        return {
            "id": q.pk,
            "text": q.text,
            "status": q.status,
            "upvotes": q.upvote_count,
            "author": q.author.display_name if q.author and q.author.display_name else None,
            "created_at": _iso(q.created_at),
            "answers": [
                {"text": a.text, "official": officials.get(a.author_id, ""), "created_at": _iso(a.created_at)}
                for a in q.answers.all()
            ],
        }

    window, next_cursor = selectors.question_window(
        debate, order=order, limit=max(1, min(limit, API_MAX_WINDOW)), cursor=cursor
    )
    polls = []
    for poll in selectors.public_polls(debate):
        tally = selectors.poll_tally(poll)
        entry: dict[str, Any] = {
            "id": poll.pk,
            "text": poll.text,
            "kind": poll.kind,
            "status": poll.status,
            "results_visible": poll.shows_results,
            "total_votes": tally["total"] if poll.shows_results else None,
            "options": [
                {
                    "id": o["id"],
                    "label": o["label"],
                    **({"votes": o["count"], "percent": o["pct"]} if poll.shows_results else {}),
                }
                for o in tally["options"]
            ],
        }
        if poll.is_proposition:
            args = selectors.poll_arguments(poll, limit=ARGUMENTS_PER_SIDE)
            entry["arguments"] = {
                side: [
                    {"id": a.pk, "text": a.text, "support": a.support, "created_at": _iso(a.created_at)}  # type: ignore[attr-defined]  # annotated by the selector
                    for a in items
                ]
                for side, items in args.items()
            }
            entry["arguments_total"] = selectors.argument_totals(poll)
        polls.append(entry)

    return {
        "debate": {
            "title": debate.title,
            "code": debate.code,
            "status": debate.status,
            "premoderation": debate.premoderation,
            "scheduled_start": _iso(debate.scheduled_start),
            "scheduled_end": _iso(debate.scheduled_end),
        },
        "clock": selectors.clock_state(debate),
        "on_screen": question(on_screen) if on_screen else None,
        "questions": [question(q) for q in window],
        "questions_total": selectors.public_question_count(debate),
        "next_cursor": next_cursor,
        "polls": polls,
        **state_sections(debate),
    }
