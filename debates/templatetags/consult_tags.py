"""Template tags of consultations, for pages owned by others (the citizen page, the screen): one include each."""

from __future__ import annotations

from typing import Any

from django import template

from ..models_consult import Consultation

register = template.Library()


@register.inclusion_tag("debates/_consult_entry.html")
def consult_entry(debate: Any) -> dict[str, Any]:
    """The link to a debate's proposals (if it accepts them) and the place where an official proposal is announced."""
    consultation = Consultation.objects.filter(debate=debate).first()
    enabled = bool(consultation and consultation.proposals_enabled)
    return {"debate": debate, "consult_enabled": enabled,
            "consult_threshold": consultation.proposal_threshold if consultation else 0}
