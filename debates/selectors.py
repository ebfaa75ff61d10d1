"""Every read of the domain, permission-scoped. Counts come from the database, never from a cache."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.core import signing
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy

from .models import (
    JOIN_CODE_LENGTH,
    AgendaSegment,
    Answer,
    Argument,
    Debate,
    DebateRole,
    Participant,
    Poll,
    Question,
)
from .permissions import has_role

# Proposition options are shown in the reader's language, whatever language they were stored in.
YES_NO_ABSTAIN = (gettext_lazy("Yes"), gettext_lazy("No"), gettext_lazy("Abstain"))

SESSION_KEY = "participants"  # session[SESSION_KEY][str(debate_id)] = participant id
MAX_ID = 2**63 - 1  # the largest key of SQLite and PostgreSQL: a larger number overflows the query (a 500)


def parse_id(value: Any) -> int | None:
    """An id as sent in a form or a URL, or None when it cannot name a row (not a number, negative, too large)."""
    try:
        number = int(str(value).strip()) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    except ValueError:
        return None
    return number if number is not None and 0 < number <= MAX_ID else None


def is_join_code(code: Any) -> bool:
    """Whether code has the shape of a join code (six letters or digits): anything else names no debate, and is
    never sent to the database (PostgreSQL refuses a NUL byte in text)."""
    return isinstance(code, str) and len(code) == JOIN_CODE_LENGTH and code.isascii() and code.isalnum()


def debate_for_code(code: str) -> Debate:
    if not is_join_code(code):
        raise Http404("unknown debate code")
    try:
        return Debate.objects.exclude(status=Debate.Status.DRAFT).get(code=(code or "").upper())
    except Debate.DoesNotExist:
        raise Http404("unknown debate code") from None


def debate_for_staff(code: str, user: Any) -> Debate:
    """Drafts are visible to their moderators too."""
    if not is_join_code(code):
        raise Http404("unknown debate code")
    try:
        debate = Debate.objects.get(code=(code or "").upper())
    except Debate.DoesNotExist:
        raise Http404("unknown debate code") from None
    if debate.status == Debate.Status.DRAFT and not has_role(debate, user, DebateRole.Role.MODERATOR):
        raise Http404("unknown debate code")
    return debate


def live_and_upcoming() -> list[Debate]:
    return list(
        Debate.objects.filter(status__in=[Debate.Status.LIVE, Debate.Status.SCHEDULED]).order_by(
            "-status", "scheduled_start", "id"
        )
    )


def recent_closed(limit: int = 5) -> list[Debate]:
    return list(Debate.objects.filter(status=Debate.Status.CLOSED).order_by("-closed_at")[:limit])


def live_access(*, code: str, kind: str, user: Any, token: str = "") -> tuple[int, str | None] | None:
    """For a websocket: (debate id, audience) — audience None when forbidden — or None for an unknown code."""
    debate = Debate.objects.filter(code=code.upper()).first() if is_join_code(code) else None
    if debate is None:
        return None
    if kind == "moderators":
        return debate.pk, ("moderators" if user_can_moderate(debate, user) or user_is_official(debate, user) else None)
    if debate.status == Debate.Status.DRAFT:
        return None
    if kind == "screen":
        import secrets

        return debate.pk, ("screen" if secrets.compare_digest(token, debate.screen_token) else None)
    return debate.pk, "public"


def user_can_moderate(debate: Debate, user: Any) -> bool:
    return has_role(debate, user, DebateRole.Role.MODERATOR)


def user_is_official(debate: Debate, user: Any) -> bool:
    return has_role(debate, user, DebateRole.Role.OFFICIAL)


def session_participants(entries: Iterable[tuple[Mapping[str, int], Debate]]) -> list[Participant | None]:
    """Per (session mapping, debate), the participant that session holds in that debate, if it is still one of
    that debate's (one query for all). Creating the missing ones is services.participants_for_sessions."""
    entries = list(entries)
    claimed = {pid for mapping, debate in entries if (pid := mapping.get(str(debate.pk)))}
    found = {p.pk: p for p in Participant.objects.filter(pk__in=claimed)} if claimed else {}
    resolved: list[Participant | None] = []
    for mapping, debate in entries:
        participant = found.get(mapping.get(str(debate.pk)))  # type: ignore[arg-type]
        resolved.append(participant if participant is not None and participant.debate_id == debate.pk else None)
    return resolved


def participant_for_request(request: HttpRequest, debate: Debate) -> Participant | None:
    """The citizen behind this browser session in this debate, if they are one; the identity never comes from a
    form field. (A write that makes them one: services.participant_for_request.)"""
    return session_participants([(request.session.get(SESSION_KEY, {}), debate)])[0]


LIVE_TOKEN_SALT = "debates.live-token"


def live_token(participant: Participant) -> str:
    """What a citizen's page sends over its websocket to be told when their own state changes (live.publish.nudge).
    Signed: a page can only name the participant its session is. It grants no data, only those nudges."""
    return signing.Signer(salt=LIVE_TOKEN_SALT).sign_object([participant.debate_id, participant.pk])


def participant_for_live_token(token: Any, debate_id: int) -> int | None:
    """The participant a live_token names, if it is genuine and for this debate."""
    try:
        token_debate, participant_id = signing.Signer(salt=LIVE_TOKEN_SALT).unsign_object(str(token or ""))
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return participant_id if token_debate == debate_id and isinstance(participant_id, int) else None


def participant_state(participant: Participant | None) -> dict[str, Any]:
    """What this citizen did: shown on their page only, never broadcast."""
    if participant is None:
        return {"votes": {}, "upvoted": [], "supported": [], "name": "", "muted": False, "mine": []}
    return {
        "live_token": live_token(participant),
        "votes": {str(p): o for p, o in participant.votes.values_list("poll_id", "option_id")},
        "upvoted": list(participant.question_upvotes.values_list("question_id", flat=True)),
        "supported": list(participant.argument_upvotes.values_list("argument_id", flat=True)),
        "name": participant.display_name,
        "muted": participant.muted,
        "mine": [
            {"id": q.pk, "text": q.text, "status": q.status, "status_label": q.get_status_display(),
             "reason": q.rejection_reason}
            for q in participant.questions.order_by("-created_at")[:20]
        ],
    }


def participant_state_json(participant: Participant | None, *, state: dict[str, Any] | None = None) -> str:
    """participant_state (or the given, already read state) as JSON safe to place inside a <script> element."""
    raw = json.dumps(participant_state(participant) if state is None else state, ensure_ascii=False)
    return raw.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# --- questions ----------------------------------------------------------------------------------------------------
def _answers_prefetch() -> Prefetch:
    return Prefetch(
        "answers",
        queryset=Answer.objects.select_related("author").order_by("created_at"),
    )


def public_questions(debate: Debate) -> list[Question]:
    return list(
        Question.objects.filter(
            debate=debate, status__in=[Question.Status.APPROVED, Question.Status.ANSWERED], merged_into__isnull=True
        )
        .select_related("author")
        .prefetch_related(_answers_prefetch())
        .order_by("-upvote_count", "created_at")
    )


def pending_questions(debate: Debate) -> list[Question]:
    return list(
        Question.objects.filter(debate=debate, status=Question.Status.PENDING, merged_into__isnull=True)
        .select_related("author")
        .order_by("-created_at")
    )


def _existing_id(value: Any) -> int:
    number = parse_id(value)
    if number is None:
        raise ValueError("not an id")
    return number


def question_in_debate(debate: Debate, question_id: Any) -> Question:
    try:
        return Question.objects.select_related("debate").get(pk=_existing_id(question_id), debate=debate)
    except (Question.DoesNotExist, ValueError, TypeError):
        raise Http404("unknown question") from None


def on_screen_question(debate: Debate) -> Question | None:
    if not debate.on_screen_id:
        return None
    return (
        Question.objects.select_related("author").prefetch_related(_answers_prefetch()).filter(pk=debate.on_screen_id).first()
    )


def official_titles(debate: Debate) -> dict[int, str]:
    """user id → public title for the debate's officials (the badge is derived from the role)."""
    return {
        r.user_id: (r.title or r.user.get_full_name() or r.user.get_username())
        for r in DebateRole.objects.filter(debate=debate, role=DebateRole.Role.OFFICIAL).select_related("user")
    }


# --- polls --------------------------------------------------------------------------------------------------------
def poll_in_debate(debate: Debate, poll_id: Any) -> Poll:
    try:
        return Poll.objects.select_related("debate").get(pk=_existing_id(poll_id), debate=debate)
    except (Poll.DoesNotExist, ValueError, TypeError):
        raise Http404("unknown poll") from None


def argument_in_debate(debate: Debate, argument_id: Any) -> Argument:
    try:
        return Argument.objects.select_related("poll__debate").get(pk=_existing_id(argument_id), poll__debate=debate)
    except (Argument.DoesNotExist, ValueError, TypeError):
        raise Http404("unknown argument") from None


def poll_tally(poll: Poll) -> dict[str, Any]:
    """Per-option counts and percentages, straight from the votes table."""
    options = list(poll.options.annotate(n=Count("votes")).order_by("position", "id"))
    total = sum(o.n for o in options)
    rows = []
    for o in options:
        pct = round(100 * o.n / total, 1) if total else 0.0
        label = YES_NO_ABSTAIN[o.position] if poll.is_proposition and o.position < 3 else o.label
        rows.append({"id": o.pk, "label": label, "count": o.n, "pct": pct, "pct_css": f"{pct:.1f}"})
    return {"options": rows, "total": total}


def public_polls(debate: Debate) -> list[Poll]:
    return list(debate.polls.exclude(status=Poll.Status.DRAFT).order_by("-status", "position", "id"))


def all_polls(debate: Debate) -> list[Poll]:
    return list(debate.polls.order_by("position", "id"))


def poll_arguments(poll: Poll, *, include_hidden: bool = False) -> dict[str, list[Argument]]:
    qs = poll.arguments.annotate(support=Count("upvotes")).select_related("author")
    if not include_hidden:
        qs = qs.filter(status=Argument.Status.VISIBLE)
    args = list(qs.order_by("-support", "created_at"))
    return {
        "for": [a for a in args if a.side == Argument.Side.FOR],
        "against": [a for a in args if a.side == Argument.Side.AGAINST],
    }


def held_arguments(debate: Debate) -> list[Argument]:
    return list(
        Argument.objects.filter(poll__debate=debate, status=Argument.Status.HELD).select_related("poll", "author")
    )


# --- clock --------------------------------------------------------------------------------------------------------
def current_segment(debate: Debate) -> AgendaSegment | None:
    if debate.current_segment_id:
        return AgendaSegment.objects.filter(pk=debate.current_segment_id).first()
    return debate.segments.order_by("position", "id").first()


def clock_state(debate: Debate) -> dict[str, Any]:
    """The countdown as data: browsers compute the remaining time with their offset to server_now."""
    seg = current_segment(debate)
    now = timezone.now()
    state: dict[str, Any] = {
        "server_now_ms": int(now.timestamp() * 1000),
        "warning_seconds": debate.clock_warning_seconds,
        "segment": None,
    }
    if seg is None:
        return state
    deadline = seg.deadline()
    state["segment"] = {
        "id": seg.pk,
        "title": seg.title,
        "position": seg.position,
        "planned_seconds": seg.planned_seconds,
        "duration_seconds": seg.duration_seconds,
        "state": "running" if seg.is_running else "paused" if seg.is_paused else "ended" if seg.ended_at else "idle",
        "remaining_seconds": round(seg.remaining_seconds(now), 1),
        "deadline_ms": int(deadline.timestamp() * 1000) if deadline else None,
    }
    return state


def agenda(debate: Debate) -> list[AgendaSegment]:
    return list(debate.segments.order_by("position", "id"))


# --- counters for moderators --------------------------------------------------------------------------------------
def question_counters(debate: Debate) -> dict[str, int]:
    agg = Question.objects.filter(debate=debate, merged_into__isnull=True).aggregate(
        pending=Count("id", filter=Q(status=Question.Status.PENDING)),
        approved=Count("id", filter=Q(status=Question.Status.APPROVED)),
        answered=Count("id", filter=Q(status=Question.Status.ANSWERED)),
        rejected=Count("id", filter=Q(status=Question.Status.REJECTED)),
    )
    return agg


def staff_notes(debate: Debate, limit: int = 5) -> list:
    """The moderators' latest notes to the officials, newest first (staff only)."""
    from .models import StaffNote

    return list(StaffNote.objects.filter(debate=debate).select_related("author").order_by("-created_at", "-id")[:limit])
