"""The data of the consultation widgets (proposals list, one proposal's progress, the news of an official proposal,
the moderators' proposal queue). debates.fragments renders them like every other widget."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from . import selectors_consult as reads
from .models import Debate

WIDGETS: dict[str, dict[str, str]] = {
    "proposals": {"public": "debates/proposals.html#proposal_list"},
    "proposal": {"public": "debates/proposals.html#progress", "moderators": "debates/proposals.html#progress"},
    "proposal_news": {
        "public": "debates/_proposal_news.html",
        "screen": "debates/_proposal_news.html",
        "moderators": "debates/_proposal_news.html",
    },
    "proposals_queue": {"moderators": "debates/proposals_moderate.html#queue"},
}
PER_OBJECT = {"debates/proposals.html#progress", "debates/_proposal_news.html"}
ROLE_DEPENDENT = {"proposals_queue"}


def widget_context(debate: Debate, kind: str, arg: str, audience: str) -> dict[str, Any]:
    consultation = reads.consultation_of(debate)
    threshold = consultation.proposal_threshold if consultation else 0
    ctx: dict[str, Any] = {"consultation": consultation, "threshold": threshold}
    if kind == "proposals":
        ctx["proposals"] = reads.public_proposals(debate)
    elif kind in ("proposal", "proposal_news"):
        ctx["p"] = reads.proposal_in_debate(debate, arg, staff=kind == "proposal")
        if kind == "proposal_news" and not ctx["p"].is_official:
            raise Http404("not official")
    elif kind == "proposals_queue":
        ctx["queue"] = reads.proposals_queue(debate)
        ctx["counters"] = reads.proposal_counters(debate)
        ctx["merge_targets"] = reads.merge_targets(debate)
    return ctx
