"""Template tags of consultations, for pages owned by others (the citizen page, the screen): one include each."""

from __future__ import annotations

from typing import Any

from django import template

from ..models import Debate
from ..models_consult import Consultation, PollRules, VoterCode

register = template.Library()


@register.inclusion_tag("debates/_consult_entry.html", takes_context=True)
def consult_entry(context: Any, debate: Any) -> dict[str, Any]:
    """The link to a debate's proposals (if it accepts them), the voter-code form (if votes need codes) or the
    statement that votes are open, and the place where an official proposal is announced."""
    consultation = Consultation.objects.filter(debate=debate).first()
    enabled = bool(consultation and consultation.proposals_enabled)
    codes_needed = (
        bool(consultation and consultation.vote_mode == Consultation.VoteMode.CODES)
        or PollRules.objects.filter(poll__debate=debate, binding=True).exists()
    )
    participant = context.get("participant")
    from ..selectors_consult import timeline

    return {
        **timeline(debate),
        "debate": debate,
        "consult_enabled": enabled,
        "csrf_token": context.get("csrf_token"),
        "texts": list(debate.texts.order_by("position", "id")),
        "consult_threshold": consultation.proposal_threshold if consultation else 0,
        "codes_needed": codes_needed,
        "has_polls": bool(context.get("polls")),
        "has_code": bool(participant and VoterCode.objects.filter(participant=participant).exists()),
        # A consultation running until a date: its participants may need their participation on another device.
        "keep_card": bool(consultation and consultation.closes_at and debate.status != Debate.Status.CLOSED),
        "participant": participant,
    }


@register.inclusion_tag("debates/_report_voting.html")
def consult_report(debate: Any) -> dict[str, Any]:
    """The report's voting section: mode, codes issued and used, turnout, declared results and their hashes."""
    from ..selectors_consult import voting_summary

    from ..open_data_consult import articles_table

    header, rows = articles_table(debate)
    return {
        "debate": debate,
        "voting": voting_summary(debate),
        "articles": [dict(zip(header, row, strict=True)) for row in rows],
    }


@register.inclusion_tag("debates/_poll_rules_badge.html")
def poll_rules_badge(poll: Any) -> dict[str, Any]:
    """ "Binding" / "secret ballot" on a poll's card, so voters know before they vote."""
    try:
        rules = poll.rules  # no query when the poll was read with select_related("rules") (selectors.public_polls)
    except PollRules.DoesNotExist:
        rules = None
    return {"rules": rules if rules is not None and rules.binding else None}
