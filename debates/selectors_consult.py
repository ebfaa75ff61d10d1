"""Reads of consultations: settings, proposal windows, one proposal, the moderators' queue, a citizen's supports."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from .models import Debate, Participant
from .models_consult import Consultation, Proposal

PROPOSALS_WINDOW = 30  # a list on a page is a window, never the whole table


def consultation_of(debate: Debate) -> Consultation | None:
    return Consultation.objects.filter(debate=debate).first()


def proposals_enabled(debate: Debate) -> bool:
    return Consultation.objects.filter(debate=debate, proposals_enabled=True).exists()


def public_proposals(
    debate: Debate, *, sort: str = "top", category: str = "", limit: int = PROPOSALS_WINDOW
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
            pk=int(proposal_id), debate=debate
        )
    except (Proposal.DoesNotExist, ValueError, TypeError):
        raise Http404("unknown proposal") from None
    if not staff and proposal.status in (Proposal.Status.HELD, Proposal.Status.HIDDEN):
        raise Http404("unknown proposal")
    return proposal


NEWS_SECONDS, NEWS_MAX = 120, 5


def recent_official(debate: Debate, including: Proposal) -> list[Proposal]:
    """The proposals made official in the last two minutes (at most 5, latest first), with `including` among them
    however long ago it was: several crossings in one burst are announced together, none drowned by the next."""
    since = timezone.now() - timedelta(seconds=NEWS_SECONDS)
    recent = list(
        Proposal.objects.filter(debate=debate, official_at__gte=since, status=Proposal.Status.OFFICIAL)
        .exclude(pk=including.pk)
        .select_related("poll", "segment")
        .order_by("-official_at", "-id")[: NEWS_MAX - 1]
    )
    return sorted([including, *recent], key=lambda p: (p.official_at or since, p.pk), reverse=True)


def proposals_queue(debate: Debate, limit: int = 50) -> list[Proposal]:
    """What moderators must look at: held by the word filter, or flagged by citizens (most flagged first)."""
    return list(
        Proposal.objects.filter(debate=debate)
        .filter(
            Q(status=Proposal.Status.HELD)
            | Q(flag_count__gt=0, status__in=[Proposal.Status.PUBLISHED, Proposal.Status.OFFICIAL])
        )
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


def voting_overview(debate: Debate) -> dict[str, Any]:
    """What the moderators' votes page shows: the mode, codes issued / claimed / revoked, each poll's rules, use
    and declared result."""
    from django.db.models import Count

    from .models import Poll
    from .models_consult import CodeUse, PollRules, ResultDeclaration, VoterCode

    consultation = consultation_of(debate) or Consultation(debate=debate)
    counts = VoterCode.objects.filter(debate=debate).aggregate(
        issued=Count("id"),
        claimed=Count("id", filter=Q(participant__isnull=False)),
        revoked=Count("id", filter=Q(revoked_at__isnull=False)),
    )
    polls = list(debate.polls.order_by("position", "id"))
    rules = {r.poll_id: r for r in PollRules.objects.filter(poll__in=polls)}
    uses = dict(
        CodeUse.objects.filter(poll__in=polls).values_list("poll").annotate(n=Count("id")).values_list("poll", "n")
    )
    declared = {d.poll_id: d for d in ResultDeclaration.objects.filter(poll__in=polls).select_related("declared_by")}
    rows = [
        {
            "poll": p,
            "rules": rules.get(p.pk),
            "uses": uses.get(p.pk, 0),
            "declaration": declared.get(p.pk),
            "draft": p.status == Poll.Status.DRAFT,
            "closed": p.status == Poll.Status.CLOSED,
        }
        for p in polls
    ]
    return {
        "consultation": consultation,
        "vote_modes": Consultation.VoteMode.choices,
        "codes": counts,
        "poll_rows": rows,
    }


def voting_summary(debate: Debate) -> dict[str, Any] | None:
    """For the report: the voting mode, codes, and each declared result with its hash and turnout; None when the
    debate used neither codes nor declarations."""
    overview = voting_overview(debate)
    declared = [row for row in overview["poll_rows"] if row["declaration"] or row["rules"]]
    if not overview["codes"]["issued"] and not declared:
        return None
    issued = overview["codes"]["issued"] - overview["codes"]["revoked"]
    for row in declared:
        row["turnout"] = round(100 * row["uses"] / issued, 1) if issued else None
    return {**overview, "declared_rows": declared, "active_codes": issued}


def _zone(debate: Debate) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(getattr(debate, "time_zone", "") or "UTC")


def _local_input(debate: Debate, when: Any) -> str:
    return when.astimezone(_zone(debate)).strftime("%Y-%m-%dT%H:%M") if when else ""


def dates_form(debate: Debate, consultation: Consultation) -> dict[str, Any]:
    """The dates form's initial values, as datetime-local fields in the debate's time zone."""
    phases = {p.kind: p for p in consultation.phases.all()} if consultation.pk else {}
    from .models_consult import Phase

    return {
        "time_zone": getattr(debate, "time_zone", "") or "UTC",
        "opens_local": _local_input(debate, consultation.opens_at),
        "closes_local": _local_input(debate, consultation.closes_at),
        "phase_rows": [
            {
                "kind": kind,
                "label": label,
                "start": _local_input(debate, phases[kind].starts_at) if kind in phases else "",
                "end": _local_input(debate, phases[kind].ends_at) if kind in phases else "",
            }
            for kind, label in Phase.Kind.choices
        ],
    }


def timeline(debate: Debate) -> dict[str, Any]:
    """The consultation's timeline for citizens: the countdown to the close and each phase (past, now, to come)."""
    from django.utils import timezone
    from django.utils.formats import date_format

    consultation = consultation_of(debate)
    if consultation is None:
        return {}
    now = timezone.now()

    def local(when: Any) -> str:
        return date_format(when.astimezone(_zone(debate)), "DATETIME_FORMAT")

    phases = [
        {
            "obj": p,
            "start_local": local(p.starts_at),
            "end_local": local(p.ends_at),
            "state": "past" if p.ends_at <= now else "now" if p.starts_at <= now else "next",
        }
        for p in consultation.phases.all()
    ]
    return {
        "consultation": consultation,
        "phases": phases,
        "closed": bool(consultation.closes_at and consultation.closes_at <= now),
        "closes_local": (local(consultation.closes_at) + f" ({getattr(debate, 'time_zone', '') or 'UTC'})")
        if consultation.closes_at
        else "",
    }
