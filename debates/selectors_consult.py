"""Reads of consultations: settings, proposal windows, one proposal, the moderators' queue, a citizen's supports."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import Http404

from .models import Debate, Participant
from .models_consult import Consultation, Proposal

PROPOSALS_WINDOW = 30  # a list on a page is a window, never the whole table


def consultation_of(debate: Debate) -> Consultation | None:
    return Consultation.objects.filter(debate=debate).first()


def proposals_enabled(debate: Debate) -> bool:
    return Consultation.objects.filter(debate=debate, proposals_enabled=True).exists()


def public_proposals(debate: Debate, *, sort: str = "top", category: str = "", limit: int = PROPOSALS_WINDOW
                     ) -> list[Proposal]:
    qs = Proposal.objects.filter(debate=debate, status__in=[Proposal.Status.PUBLISHED, Proposal.Status.OFFICIAL])
    if category:
        qs = qs.filter(category=category)
    order = ("-created_at", "-id") if sort == "new" else ("-support_count", "created_at", "id")
    return list(qs.order_by(*order)[:limit])


def proposal_counters(debate: Debate) -> dict[str, int]:
    from django.db.models import Count

    return Proposal.objects.filter(debate=debate).aggregate(
        published=Count("id", filter=Q(status=Proposal.Status.PUBLISHED)),
        official=Count("id", filter=Q(status=Proposal.Status.OFFICIAL)),
        held=Count("id", filter=Q(status=Proposal.Status.HELD)),
        hidden=Count("id", filter=Q(status=Proposal.Status.HIDDEN)),
        merged=Count("id", filter=Q(status=Proposal.Status.MERGED)),
    )


def proposal_in_debate(debate: Debate, proposal_id: Any, *, staff: bool = False) -> Proposal:
    """A proposal of this debate as citizens may see it (staff see every status)."""
    try:
        proposal = Proposal.objects.select_related("debate", "poll", "segment", "merged_into").get(
            pk=int(proposal_id), debate=debate)
    except (Proposal.DoesNotExist, ValueError, TypeError):
        raise Http404("unknown proposal") from None
    if not staff and proposal.status in (Proposal.Status.HELD, Proposal.Status.HIDDEN):
        raise Http404("unknown proposal")
    return proposal


def proposals_queue(debate: Debate, limit: int = 50) -> list[Proposal]:
    """What moderators must look at: held by the word filter, or flagged by citizens (most flagged first)."""
    return list(
        Proposal.objects.filter(debate=debate)
        .filter(Q(status=Proposal.Status.HELD) | Q(flag_count__gt=0, status__in=[Proposal.Status.PUBLISHED,
                                                                                 Proposal.Status.OFFICIAL]))
        .order_by("-flag_count", "-created_at")[:limit]
    )


def merge_targets(debate: Debate, exclude: int | None = None, limit: int = 200) -> list[Proposal]:
    qs = Proposal.objects.filter(debate=debate, status__in=[Proposal.Status.PUBLISHED, Proposal.Status.OFFICIAL])
    if exclude:
        qs = qs.exclude(pk=exclude)
    return list(qs.order_by("-support_count", "id").only("pk", "title", "support_count")[:limit])


def latest_official(debate: Debate) -> Proposal | None:
    return Proposal.objects.filter(debate=debate, status=Proposal.Status.OFFICIAL).order_by("-official_at").first()


def my_supports(participant: Participant | None) -> list[int]:
    if participant is None:
        return []
    return list(participant.proposal_supports.values_list("proposal_id", flat=True))


def my_flags(participant: Participant | None) -> list[int]:
    if participant is None:
        return []
    return list(participant.proposal_flags.values_list("proposal_id", flat=True))
