"""What remains after a debate: the report's figures, its timeline and charts, and the CSV / JSON exports.

Everything is read from the database. Participant identities never leave this module: no display names, no
participant ids, no tokens (questions and arguments are exported without their author).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _

from . import charts, selectors
from .open_data_consult import articles_table, export_sections, proposals_table
from .models import (
    AgendaSegment,
    Answer,
    Argument,
    ArgumentUpvote,
    Debate,
    ModerationLog,
    Participant,
    Poll,
    PresenceSample,
    Question,
    QuestionUpvote,
    Vote,
)

# Log actions that make the public timeline (the rest is moderation detail, in the log export).
TIMELINE_ACTIONS = {
    "debate_status",
    "question_on_screen",
    "screen_cleared",
    "answer_posted",
    "question_answered",
    "poll_opened",
    "poll_closed",
}


# --- figures ------------------------------------------------------------------------------------------------------
def active_participants(debate: Debate) -> int:
    """Distinct participants who did anything: asked, upvoted, voted, argued or supported an argument."""
    return (
        Participant.objects.filter(debate=debate)
        .filter(
            Q(pk__in=Question.objects.filter(debate=debate).values("author_id"))
            | Q(pk__in=QuestionUpvote.objects.filter(question__debate=debate).values("participant_id"))
            | Q(pk__in=Vote.objects.filter(poll__debate=debate).values("participant_id"))
            | Q(pk__in=Argument.objects.filter(poll__debate=debate).values("author_id"))
            | Q(pk__in=ArgumentUpvote.objects.filter(argument__poll__debate=debate).values("participant_id"))
        )
        .count()
    )


def participation(debate: Debate) -> dict[str, int]:
    sampled = PresenceSample.objects.filter(debate=debate).aggregate(m=Max("connected"))["m"] or 0
    return {
        "participants": active_participants(debate),
        "joined": Participant.objects.filter(debate=debate).count(),
        "peak_connected": max(debate.peak_connected, sampled),
        "votes": Vote.objects.filter(poll__debate=debate).count(),
        "polls": debate.polls.exclude(status=Poll.Status.DRAFT).count(),
        "question_upvotes": QuestionUpvote.objects.filter(question__debate=debate).count(),
    }


def question_figures(debate: Debate) -> dict[str, int]:
    """Asked = every question submitted (merged duplicates included); approved = ever published; answered;
    never_reviewed = still waiting for a moderator when the report is read."""
    return Question.objects.filter(debate=debate).aggregate(
        asked=Count("id"),
        approved=Count(
            "id",
            filter=Q(status__in=[Question.Status.APPROVED, Question.Status.ANSWERED]) | Q(approved_at__isnull=False),
        ),
        answered=Count("id", filter=Q(status=Question.Status.ANSWERED)),
        rejected=Count("id", filter=Q(status=Question.Status.REJECTED)),
        pending=Count("id", filter=Q(status=Question.Status.PENDING)),
        merged=Count("id", filter=Q(merged_into__isnull=False)),
        # Never looked at by a moderator: still pending, neither approved, rejected nor merged.
        never_reviewed=Count(
            "id", filter=Q(status=Question.Status.PENDING, merged_into__isnull=True, approved_at__isnull=True)
        ),
    )


def poll_results(debate: Debate) -> list[dict[str, Any]]:
    """Each poll that was opened, with its (final) tally and its visible arguments with their support."""
    out = []
    for poll in debate.polls.exclude(status=Poll.Status.DRAFT).order_by("position", "id"):
        args = selectors.poll_arguments(poll) if poll.is_proposition else {"for": [], "against": []}
        out.append({"obj": poll, "id": poll.pk, "tally": selectors.poll_tally(poll), "arguments": args})
    return out


def top_questions(debate: Debate, limit: int = 10) -> list[Question]:
    return list(
        Question.objects.filter(
            debate=debate, status__in=[Question.Status.APPROVED, Question.Status.ANSWERED], merged_into__isnull=True
        )
        .prefetch_related("answers")
        .order_by("-upvote_count", "created_at")[:limit]
    )


# --- timeline -----------------------------------------------------------------------------------------------------
def timeline(debate: Debate) -> list[dict[str, Any]]:
    """Segments started / ended and the public moments of the moderation log, in time order."""
    events: list[dict[str, Any]] = []
    for seg in AgendaSegment.objects.filter(debate=debate, started_at__isnull=False):
        events.append({"at": seg.started_at, "kind": "segment", "text": _("Segment started: %(t)s") % {"t": seg.title}})
        if seg.ended_at:
            events.append({"at": seg.ended_at, "kind": "segment", "text": _("Segment ended: %(t)s") % {"t": seg.title}})
    questions = {q.pk: q.text for q in Question.objects.filter(debate=debate).only("id", "text")}
    polls = {p.pk: p.text for p in Poll.objects.filter(debate=debate).only("id", "text")}
    for entry in ModerationLog.objects.filter(debate=debate, action__in=TIMELINE_ACTIONS).order_by("created_at", "id"):
        text = _timeline_text(entry, questions, polls)
        if text:
            events.append({"at": entry.created_at, "kind": entry.action, "text": text})
    events.sort(key=lambda e: e["at"])
    return events


def _timeline_text(entry: ModerationLog, questions: dict[int, str], polls: dict[int, str]) -> str:
    q = questions.get(entry.object_id or 0, "")
    p = polls.get(entry.object_id or 0, "")
    if entry.action == "debate_status":
        status = (entry.after or {}).get("status", "")
        label = dict(Debate.Status.choices).get(status, status)
        return _("Debate status: %(s)s") % {"s": label}
    if entry.action == "question_on_screen":
        return _("On screen: %(q)s") % {"q": q}
    if entry.action == "screen_cleared":
        return _("Screen cleared")
    if entry.action == "answer_posted":
        return _("Official answer to: %(q)s") % {"q": q}
    if entry.action == "question_answered":
        return _("Answered: %(q)s") % {"q": q}
    if entry.action == "poll_opened":
        return _("Poll opened: %(p)s") % {"p": p}
    if entry.action == "poll_closed":
        return _("Poll closed: %(p)s") % {"p": p}
    return ""


# --- charts -------------------------------------------------------------------------------------------------------
def vote_chart(poll: Poll) -> dict[str, Any]:
    """Cumulative votes per option over time (a changed vote counts for its current option from when it was cast)."""
    rows = list(Vote.objects.filter(poll=poll).values_list("option_id", "created_at"))
    series = []
    for option in poll.options.order_by("position", "id"):
        series.append(charts.Series(option.label, charts.cumulative([t for o, t in rows if o == option.pk])))
    start = poll.opened_at or (min(t for _o, t in rows) if rows else None)
    end = poll.closed_at or (max(t for _o, t in rows) if rows else None)
    return {
        "svg": charts.step_chart(
            series, title=_("Votes over time: %(p)s") % {"p": poll.text}, start=start, end=end, y_label=_("votes")
        ),
        "legend": charts.legend(series),
    }


def presence_chart(debate: Debate) -> dict[str, Any]:
    samples = list(PresenceSample.objects.filter(debate=debate).order_by("at").values_list("at", "connected"))
    series = [charts.Series(_("connected"), [(at, float(n)) for at, n in samples])]
    return {
        "svg": charts.step_chart(series, title=_("People connected over time"), y_label=_("connected")),
        "legend": charts.legend(series),
        "samples": len(samples),
    }


def report_context(debate: Debate) -> dict[str, Any]:
    polls = poll_results(debate)
    for p in polls:
        p["chart"] = vote_chart(p["obj"])
    return {
        "debate": debate,
        "participation": participation(debate),
        "questions": question_figures(debate),
        "top_questions": top_questions(debate),
        "polls": polls,
        "timeline": timeline(debate),
        "presence_chart": presence_chart(debate),
        "officials": selectors.official_titles(debate),
    }


# --- exports ------------------------------------------------------------------------------------------------------
def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def questions_table(debate: Debate) -> tuple[list[str], Iterable[list[Any]]]:
    header = [
        "id",
        "created_at",
        "status",
        "text",
        "upvotes",
        "merged_into",
        "starred",
        "approved_at",
        "answered_at",
        "answers",
    ]
    answers: dict[int, list[str]] = {}
    for a in Answer.objects.filter(question__debate=debate).order_by("created_at"):
        answers.setdefault(a.question_id, []).append(a.text)
    rows = (
        [
            q.pk,
            _iso(q.created_at),
            q.status,
            q.text,
            q.upvote_count,
            q.merged_into_id or "",
            q.starred,
            _iso(q.approved_at),
            _iso(q.answered_at),
            "\n---\n".join(answers.get(q.pk, [])),
        ]
        for q in Question.objects.filter(debate=debate).order_by("created_at", "id")
    )
    return header, rows


def polls_table(debate: Debate) -> tuple[list[str], Iterable[list[Any]]]:
    header = ["poll_id", "poll", "kind", "status", "opened_at", "closed_at", "option", "votes", "percent", "total"]
    rows = []
    for poll in debate.polls.exclude(status=Poll.Status.DRAFT).order_by("position", "id"):
        tally = selectors.poll_tally(poll)
        for o in tally["options"]:
            rows.append(
                [
                    poll.pk,
                    poll.text,
                    poll.kind,
                    poll.status,
                    _iso(poll.opened_at),
                    _iso(poll.closed_at),
                    o["label"],
                    o["count"],
                    o["pct"],
                    tally["total"],
                ]
            )
    return header, rows


def arguments_table(debate: Debate) -> tuple[list[str], Iterable[list[Any]]]:
    header = ["id", "poll_id", "poll", "side", "status", "text", "support", "created_at"]
    rows = (
        [a.pk, a.poll_id, a.poll.text, a.side, a.status, a.text, a.support, _iso(a.created_at)]
        for a in Argument.objects.filter(poll__debate=debate)
        .select_related("poll")
        .annotate(support=Count("upvotes"))
        .order_by("poll_id", "created_at", "id")
    )
    return header, rows


def _log_object_id(entry: ModerationLog) -> Any:
    # A muted participant is a participant identity: never exported.
    return "" if entry.object_type == "participant" else (entry.object_id or "")


IDENTITY_KEYS = {"name", "display_name", "participant", "participant_id", "author", "author_id", "token"}


def _scrub(data: Any) -> Any:
    """A log entry's before/after without anything that names or points at a participant."""
    if isinstance(data, dict):
        return {k: _scrub(v) for k, v in data.items() if k not in IDENTITY_KEYS}
    if isinstance(data, list):
        return [_scrub(v) for v in data]
    return data


def log_table(debate: Debate) -> tuple[list[str], Iterable[list[Any]]]:
    header = ["created_at", "actor", "action", "object_type", "object_id", "before", "after"]
    rows = (
        [
            _iso(e.created_at),
            e.actor.get_username() if e.actor else "",
            e.action,
            e.object_type,
            _log_object_id(e),
            json.dumps(_scrub(e.before), ensure_ascii=False, sort_keys=True),
            json.dumps(_scrub(e.after), ensure_ascii=False, sort_keys=True),
        ]
        for e in ModerationLog.objects.filter(debate=debate).select_related("actor").order_by("created_at", "id")
    )
    return header, rows


CONSULT_TABLES = {"proposals": proposals_table, "articles": articles_table}

CSV_TABLES: dict[str, Callable[[Debate], tuple[list[str], Iterable[list[Any]]]]] = {
    "questions": questions_table,
    "polls": polls_table,
    "arguments": arguments_table,
    "log": log_table,
    **CONSULT_TABLES,
}


def _records(table: tuple[list[str], Iterable[list[Any]]]) -> list[dict[str, Any]]:
    header, rows = table
    return [dict(zip(header, row, strict=True)) for row in rows]


def export_document(debate: Debate) -> dict[str, Any]:
    """Everything in one JSON document (no participant identity)."""
    log = _records(log_table(debate))
    for entry in log:  # structured, not JSON-in-JSON
        entry["before"], entry["after"] = json.loads(entry["before"]), json.loads(entry["after"])
    return {
        "debate": {
            "code": debate.code,
            "title": debate.title,
            "description": debate.description,
            "status": debate.status,
            "scheduled_start": _iso(debate.scheduled_start),
            "scheduled_end": _iso(debate.scheduled_end),
            "opened_at": _iso(debate.opened_at),
            "closed_at": _iso(debate.closed_at),
        },
        "participation": participation(debate),
        "questions_summary": question_figures(debate),
        "questions": _records(questions_table(debate)),
        "polls": [
            {
                "id": p["id"],
                "text": p["obj"].text,
                "kind": p["obj"].kind,
                "status": p["obj"].status,
                "opened_at": _iso(p["obj"].opened_at),
                "closed_at": _iso(p["obj"].closed_at),
                "total": p["tally"]["total"],
                "options": [
                    {"label": o["label"], "votes": o["count"], "percent": o["pct"]} for o in p["tally"]["options"]
                ],
            }
            for p in poll_results(debate)
        ],
        "arguments": _records(arguments_table(debate)),
        "agenda": [
            {
                "title": s.title,
                "planned_seconds": s.planned_seconds,
                "extra_seconds": s.extra_seconds,
                "started_at": _iso(s.started_at),
                "ended_at": _iso(s.ended_at),
            }
            for s in AgendaSegment.objects.filter(debate=debate).order_by("position", "id")
        ],
        "presence": [
            {"at": _iso(at), "connected": n}
            for at, n in PresenceSample.objects.filter(debate=debate).order_by("at").values_list("at", "connected")
        ],
        "log": log,
        **export_sections(debate),
    }
