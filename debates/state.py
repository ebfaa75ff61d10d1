"""The public state of a debate as JSON (the /api/d/<CODE>/state read API). Same selectors as the pages, so its
numbers are the pages' numbers."""

from __future__ import annotations

from typing import Any

from . import selectors
from .open_data_consult import state_sections
from .models import Debate


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def public_state(debate: Debate) -> dict[str, Any]:
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
            args = selectors.poll_arguments(poll)
            entry["arguments"] = {
                side: [
                    {"id": a.pk, "text": a.text, "support": a.support, "created_at": _iso(a.created_at)} for a in items
                ]
                for side, items in args.items()
            }
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
        "questions": [question(q) for q in selectors.public_questions(debate)],
        "polls": polls,
        **state_sections(debate),
    }
