"""The data of the consultation widgets (proposals list, one proposal's progress, the news of an official proposal,
the moderators' proposal queue). Their rows are in debates.fragments.WIDGETS, like every other widget."""

from __future__ import annotations

from typing import Any


from . import selectors_consult as reads
from .models import Debate

PROPOSALS = "debates/proposals.html"
NEWS = "debates/_proposal_news.html"
QUEUE = "debates/proposals_moderate.html"


def _threshold(debate: Debate) -> dict[str, Any]:
    consultation = reads.consultation_of(debate)
    return {"consultation": consultation, "threshold": consultation.proposal_threshold if consultation else 0}


def proposals(debate: Debate, arg: str | None, presence: int | None) -> dict[str, Any]:
    return {**_threshold(debate), "proposals": reads.public_proposals(debate)}


def proposal_progress(debate: Debate, arg: str | None, presence: int | None) -> dict[str, Any]:
    return {**_threshold(debate), "p": reads.proposal_in_debate(debate, arg, staff=True)}


def proposal_news(debate: Debate, arg: str | None, presence: int | None) -> dict[str, Any] | None:
    proposal = reads.proposal_in_debate(debate, arg, staff=True)
    return {"news": reads.recent_official(debate, including=proposal)} if proposal.is_official else None


def proposals_queue(debate: Debate, arg: str | None, presence: int | None) -> dict[str, Any]:
    return {
        **_threshold(debate),
        "queue": reads.proposals_queue(debate),
        "counters": reads.proposal_counters(debate),
        "merge_targets": reads.merge_targets(debate),
    }


def widget_rows(View: Any, Widget: Any) -> tuple[Any, ...]:
    """The consultation rows of the widget table (View and Widget passed in: fragments imports this module)."""
    news = View(NEWS, "proposal-news", proposal_news)
    return (
        Widget("proposals", views={"public": View(f"{PROPOSALS}#proposal_list", "proposals", proposals)}),
        Widget(
            "proposal",
            per_object=True,
            views={
                "public": View(f"{PROPOSALS}#progress", "proposal-{id}-progress", proposal_progress),
            },
        ),
        Widget("proposal_news", per_object=True, views={"public": news, "screen": news, "moderators": news}),
        Widget("proposals_queue", views={"moderators": View(f"{QUEUE}#queue", "proposals-queue", proposals_queue)}),
    )
