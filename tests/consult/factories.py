"""Builders for consultation test data, through the services."""

from __future__ import annotations

from debates import services
from debates.models import Debate
from debates.models_consult import Consultation, Proposal
from tests.factories import make_debate, make_moderator, make_participant


def make_consultation(
    debate: Debate | None = None,
    *,
    threshold: int = 3,
    outcome: str = Consultation.Outcome.POLL,
    categories: str = "",
    **debate_extra,
) -> Debate:
    debate = debate or make_debate(**debate_extra)
    services.consultation_update(
        debate=debate,
        actor=make_moderator(debate),
        proposals_enabled=True,
        proposal_threshold=threshold,
        proposal_outcome=outcome,
        categories=categories,
    )
    return debate


def make_proposal(
    debate: Debate,
    *,
    title: str = "Des bancs place du marché",
    text: str = "Pour les aînés.",
    participant=None,
    category: str = "",
) -> Proposal:
    return services.proposal_submit(
        debate=debate, participant=participant or make_participant(debate), title=title, text=text, category=category
    )
