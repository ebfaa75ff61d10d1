"""Every read of the domain, permission-scoped. Counts come from the database, never from a cache."""

from __future__ import annotations

import hashlib
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
    SecretBallot,
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


def debate_id_for_code(code: str) -> int | None:
    """The id of the debate with this join code, or None (no 404: for callers that answer themselves)."""
    if not is_join_code(code):
        return None
    found = Debate.objects.exclude(status=Debate.Status.DRAFT).filter(code=code.upper())
    return found.values_list("pk", flat=True).first()


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


def live_access(
    *, code: str, kind: str, user: Any, token: str = "", session: Any = None
) -> tuple[int, str | None] | None:
    """For a websocket: (debate id, audience) — audience None when forbidden — or None for an unknown code.
    A moderators' socket also needs a staff session still current (not signed out elsewhere, not too old), as the
    console pages do (hub.middleware): a copied cookie outlives its sign-out nowhere."""
    debate = Debate.objects.filter(code=code.upper()).first() if is_join_code(code) else None
    if debate is None:
        return None
    if kind == "moderators":
        from . import staff_sessions

        if session is not None and not staff_sessions.is_current(session, user):
            return debate.pk, None
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


def live_ref(token: str) -> str:
    """Names a live_token without being it (a digest): what pages carry, so a page knows when its participant
    changed and fetches the new token from …/me (the token itself is never in a compressed response)."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


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
        "live_token": (token := live_token(participant)),
        "live_ref": live_ref(token),
        "votes": {str(p): o for p, o in participant.votes.values_list("poll_id", "option_id")},
        "upvoted": list(participant.question_upvotes.values_list("question_id", flat=True)),
        "supported": list(participant.argument_upvotes.values_list("argument_id", flat=True)),
        "name": participant.display_name,
        "muted": participant.muted,
        "mine": [
            _my_question(q)
            for q in participant.questions.select_related("merged_into")
            .prefetch_related(_answers_prefetch())
            .order_by("-created_at", "-id")[:MY_QUESTIONS]
        ],
    }


MY_QUESTIONS = 30

# What became of a citizen's question, in the reader's language (read now, never the language of whoever acted:
# a merge stored its French reason while an English page showed it).
FATE_LABELS = {
    "pending": gettext_lazy("Awaiting moderation"),
    "published": gettext_lazy("Published"),
    "answered": gettext_lazy("Answered"),
    "rejected": gettext_lazy("Not published"),
    "merged": gettext_lazy("Merged into a similar question"),
}


def _my_question(q: Question) -> dict[str, Any]:
    if q.merged_into_id:
        fate = "merged"
    else:
        fate = {
            Question.Status.PENDING: "pending",
            Question.Status.APPROVED: "published",
            Question.Status.ANSWERED: "answered",
        }.get(q.status, "rejected")
    entry: dict[str, Any] = {
        "id": q.pk,
        "text": q.text,
        "status": q.status,
        "fate": fate,
        "status_label": str(FATE_LABELS[fate]),
        # A moderator's reason is theirs, shown as written; a merge has no reason of its own but the kept question.
        "reason": q.rejection_reason if fate == "rejected" else "",
        "answers": [a.text for a in q.answers.all()],
    }
    if fate == "merged" and q.merged_into is not None:
        entry["merged_into"] = {"id": q.merged_into_id, "text": q.merged_into.text}
    return entry


def participant_state_json(participant: Participant | None, *, state: dict[str, Any] | None = None) -> str:
    """participant_state (or the given, already read state) as JSON safe to place inside a <script> element, without
    the live_token: pages and htmx answers are compressed (debates/breach.py); the page fetches it from …/me."""
    state = participant_state(participant) if state is None else state
    raw = json.dumps({k: v for k, v in state.items() if k != "live_token"}, ensure_ascii=False)
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


# --- windows: what a page shows of a list, never the whole list ------------------------------------------------------
# Lists are read in windows of WINDOW items with keyset cursors: opaque to the browser (signed, so a forged or stale
# one is refused with a 400, never a 500), stable while items are added (no OFFSET: a new question does not shift
# the next page), cheap at any depth (an index range, not a count of what comes before).
WINDOW = 30
MAX_WINDOW = 100
CURSOR_SALT = "debates.cursor"
QUESTION_ORDERS = ("top", "recent")


class BadCursor(ValueError):
    """A cursor that this server did not issue for this list (or garbled): the view answers 400."""


def encode_cursor(kind: str, debate_id: int, key: list[Any]) -> str:
    return signing.dumps([kind, debate_id, key], salt=CURSOR_SALT, compress=True)


def decode_cursor(raw: str | None, kind: str, debate_id: int) -> list[Any] | None:
    """The position a cursor names, None for the first window; BadCursor when it is not ours for this list."""
    if not raw:
        return None
    try:
        got_kind, got_debate, key = signing.loads(str(raw), salt=CURSOR_SALT)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise BadCursor("bad cursor") from exc
    if got_kind != kind or got_debate != debate_id or not isinstance(key, list):
        raise BadCursor("cursor for another list")
    return key


def clamp_limit(raw: Any, default: int = WINDOW) -> int:
    try:
        return max(1, min(MAX_WINDOW, int(raw)))
    except (TypeError, ValueError):
        return default


def _public_questions_qs(debate: Debate):
    return Question.objects.filter(
        debate=debate, status__in=[Question.Status.APPROVED, Question.Status.ANSWERED], merged_into__isnull=True
    )


SEARCH_MIN_LENGTH = 3  # fewer characters: no search (the tab's window)
SEARCH_MAX_LENGTH = 100  # more: refused (BadCursor, a 400)


def _search_digest(search: str) -> str:
    import hashlib

    return hashlib.blake2b(search.casefold().encode(), digest_size=6).hexdigest()


def _like_pattern(search: str) -> str:
    return "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def text_contains(qs: Any, search: str) -> Any:
    """Questions whose text contains `search`, case-insensitively: ILIKE on PostgreSQL, which the pg_trgm GIN index
    of migration 0011 serves (Django's icontains compares UPPER(text), which no index serves); icontains elsewhere."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return qs.extra(where=["debates_question.text ILIKE %s"], params=[_like_pattern(search)])
    return qs.filter(text__icontains=search)


def question_window(
    debate: Debate, *, order: str = "top", limit: int = WINDOW, cursor: str | None = None, search: str = ""
) -> tuple[list[Question], str | None]:
    """One window of the public questions (most upvoted first, or newest first) and the cursor of the next one
    (None at the end). `search` (≥ 3 characters) keeps the questions whose text contains it; over
    SEARCH_MAX_LENGTH characters, like an unknown order or a cursor that is not ours, it is a BadCursor."""
    if order not in QUESTION_ORDERS:
        raise BadCursor("unknown order")
    search = (search or "").strip()
    if len(search) > SEARCH_MAX_LENGTH:
        raise BadCursor("search too long")
    if len(search) < SEARCH_MIN_LENGTH:
        search = ""
    # A search's cursors are its own: one issued for another search (or none) is refused, not silently mixed.
    kind = f"q-{order}" + (f"-{_search_digest(search)}" if search else "")
    key = decode_cursor(cursor, kind, debate.pk)
    qs = _public_questions_qs(debate)
    if search:
        qs = text_contains(qs, search)
    try:
        if order == "top":
            qs = qs.order_by("-upvote_count", "created_at", "id")
            if key is not None:
                votes, created, pk = int(key[0]), timezone.datetime.fromisoformat(key[1]), int(key[2])
                qs = qs.filter(
                    Q(upvote_count__lt=votes)
                    | Q(upvote_count=votes, created_at__gt=created)
                    | Q(upvote_count=votes, created_at=created, id__gt=pk)
                )
        else:
            qs = qs.order_by("-created_at", "-id")
            if key is not None:
                created, pk = timezone.datetime.fromisoformat(key[0]), int(key[1])
                qs = qs.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=pk))
    except (IndexError, TypeError, ValueError) as exc:
        raise BadCursor("bad cursor position") from exc
    items = list(qs.select_related("author").prefetch_related(_answers_prefetch())[: limit + 1])
    more, items = len(items) > limit, items[:limit]
    if not more or not items:
        return items, None
    last = items[-1]
    position = (
        [last.upvote_count, last.created_at.isoformat(), last.pk]
        if order == "top"
        else [last.created_at.isoformat(), last.pk]
    )
    return items, encode_cursor(kind, debate.pk, position)


def public_question_count(debate: Debate) -> int:
    return _public_questions_qs(debate).count()


def questions_by_id(debate: Debate, ids: Any) -> dict[int, Question]:
    """Questions of this debate by id, with what their card shows (author, answers): per-item fragments."""
    return {
        q.pk: q
        for q in Question.objects.filter(debate=debate, pk__in=list(ids))
        .select_related("author")
        .prefetch_related(_answers_prefetch())
    }


def page_of(qs: Any, page: Any, per_page: int) -> dict[str, Any]:
    """A numbered page with the exact count (the console's lists: moderators need to know how many remain)."""
    from django.core.paginator import Paginator

    paginator = Paginator(qs, per_page)
    current = paginator.get_page(page)
    return {
        "items": list(current.object_list),
        "count": paginator.count,
        "number": current.number,
        "pages": paginator.num_pages,
        "has_next": current.has_next(),
        "has_previous": current.has_previous(),
    }


CONSOLE_PAGE = 50


def pending_page(debate: Debate, page: Any = 1, per_page: int = CONSOLE_PAGE) -> dict[str, Any]:
    """The moderation queue, newest first, one page of it with the exact count."""
    return page_of(
        Question.objects.filter(debate=debate, status=Question.Status.PENDING, merged_into__isnull=True)
        .select_related("author")
        .order_by("-created_at", "-id"),
        page,
        per_page,
    )


def approved_page(debate: Debate, page: Any = 1, per_page: int = CONSOLE_PAGE) -> dict[str, Any]:
    return page_of(
        _public_questions_qs(debate)
        .select_related("author")
        .prefetch_related(_answers_prefetch())
        .order_by("-upvote_count", "created_at", "id"),
        page,
        per_page,
    )


def held_arguments_page(debate: Debate, page: Any = 1, per_page: int = CONSOLE_PAGE) -> dict[str, Any]:
    return page_of(
        Argument.objects.filter(poll__debate=debate, status=Argument.Status.HELD)
        .select_related("poll", "author")
        .order_by("-created_at", "-id"),
        page,
        per_page,
    )


def log_page(debate: Debate, page: Any = 1, per_page: int = CONSOLE_PAGE) -> dict[str, Any]:
    return page_of(debate.log.select_related("actor").order_by("-created_at", "-id"), page, per_page)


def trending_questions(debate: Debate, limit: int = 10) -> list[Question]:
    """Approved questions at or above the debate's trending threshold, most upvoted first (a few, not a list)."""
    return list(
        _public_questions_qs(debate)
        .filter(debate.trending_q(), status=Question.Status.APPROVED)
        .select_related("author")
        .order_by("-upvote_count", "created_at")[:limit]
    )


# --- merging: the target is searched, or suggested when the merge box opens ------------------------------------------
MERGE_CHOICES = 10


def merge_candidates(
    debate: Debate, *, exclude: int | None = None, search: str = "", limit: int = MERGE_CHOICES
) -> list[Question]:
    """Questions a duplicate can be merged into (approved, answered or pending, not merged), whose text contains
    `search` (ranked by trigram similarity on PostgreSQL), else the most upvoted."""
    from django.db import connection

    qs = Question.objects.filter(
        debate=debate,
        merged_into__isnull=True,
        status__in=[Question.Status.APPROVED, Question.Status.ANSWERED, Question.Status.PENDING],
    ).exclude(pk=exclude)
    search = (search or "").strip()[:200]
    if search and connection.vendor == "postgresql":
        from django.contrib.postgres.search import TrigramWordSimilarity

        # word similarity of the typed text within each question: "piscine" finds "la piscine municipale".
        # `<%` is the indexed form of word_similarity ≥ pg_trgm.word_similarity_threshold (0.6); ILIKE catches the
        # first letters typed (the same GIN index serves both).
        return list(
            qs.extra(
                where=["(%s <%% debates_question.text OR debates_question.text ILIKE %s)"],
                params=[search, _like_pattern(search)],
            )
            .annotate(sim=TrigramWordSimilarity(search, "text"))
            .order_by("-sim", "-upvote_count", "id")[:limit]
        )
    if search:
        return list(qs.filter(text__icontains=search).order_by("-upvote_count", "id")[:limit])
    return list(qs.order_by("-upvote_count", "id")[:limit])


def similar_questions(question: Question, limit: int = 5) -> list[Question]:
    """Likely duplicates of a question, most similar first: trigram similarity (pg_trgm, GIN index) on PostgreSQL;
    elsewhere the number of shared words of four letters or more among the most recent 2,000 questions."""
    from django.db import connection

    qs = Question.objects.filter(
        debate_id=question.debate_id,
        merged_into__isnull=True,
        status__in=[Question.Status.APPROVED, Question.Status.ANSWERED, Question.Status.PENDING],
    ).exclude(pk=question.pk)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import TrigramSimilarity

        # The % operator (similarity above pg_trgm.similarity_threshold, 0.3) is what the GIN index serves.
        return list(
            qs.extra(where=["debates_question.text %% %s"], params=[question.text])
            .annotate(sim=TrigramSimilarity("text", question.text))
            .order_by("-sim", "-upvote_count", "id")[:limit]
        )
    words = _words(question.text)
    if not words:
        return []
    scored = []
    for q in qs.order_by("-created_at")[:2000]:
        common = len(words & _words(q.text))
        if common:
            scored.append((common / len(words | _words(q.text)), q.upvote_count, -q.pk, q))
    scored.sort(key=lambda t: (t[0], t[1], t[2]), reverse=True)
    return [t[3] for t in scored[:limit] if t[0] >= 0.2]


def _words(text: str) -> set[str]:
    import re

    return {w for w in re.findall(r"\w+", text.lower()) if len(w) >= 4}


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
        Question.objects.select_related("author")
        .prefetch_related(_answers_prefetch())
        .filter(pk=debate.on_screen_id)
        .first()
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
    secret = dict(
        SecretBallot.objects.filter(poll=poll).values_list("option").annotate(c=Count("pk")).values_list("option", "c")
    )  # ballots of a secret poll, stored without voter
    for o in options:
        o.n += secret.get(o.pk, 0)
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


ARGUMENT_SIDES: tuple[str, ...] = (
    str(Argument.Side.FOR.value),
    str(Argument.Side.AGAINST.value),
)  # plain strings: template keys


def _poll_arguments_qs(poll: Poll, include_hidden: bool) -> Any:
    qs = poll.arguments.annotate(support=Count("upvotes")).select_related("author")
    if not include_hidden:
        qs = qs.filter(status=Argument.Status.VISIBLE)
    return qs.order_by("-support", "created_at", "id")


def poll_arguments(poll: Poll, *, include_hidden: bool = False, limit: int | None = None) -> dict[str, list[Argument]]:
    """Arguments per side, most supported first; with `limit`, that many per side (a window)."""
    qs = _poll_arguments_qs(poll, include_hidden)
    if limit is not None:
        return {side: list(qs.filter(side=side)[:limit]) for side in ARGUMENT_SIDES}
    args = list(qs)
    return {
        "for": [a for a in args if a.side == Argument.Side.FOR],
        "against": [a for a in args if a.side == Argument.Side.AGAINST],
    }


def argument_totals(poll: Poll, *, include_hidden: bool = False) -> dict[str, int]:
    """How many arguments each side has (the headings' "For (N)"), whatever a window shows."""
    qs = poll.arguments.all() if include_hidden else poll.arguments.filter(status=Argument.Status.VISIBLE)
    counts = dict(qs.order_by().values_list("side").annotate(n=Count("id")).values_list("side", "n"))
    return {side: counts.get(side, 0) for side in ARGUMENT_SIDES}


def argument_window(
    poll: Poll, side: str, *, include_hidden: bool = False, limit: int = WINDOW, cursor: str | None = None
) -> tuple[list[Argument], str | None]:
    """One window of a poll's arguments on one side (most supported first) and the cursor of the next one (None at
    the end); BadCursor for an unknown side or a cursor that is not this list's."""
    if side not in ARGUMENT_SIDES:
        raise BadCursor("unknown side")
    kind = f"a-{poll.pk}-{side}" + ("-all" if include_hidden else "")
    key = decode_cursor(cursor, kind, poll.debate_id)
    qs = _poll_arguments_qs(poll, include_hidden).filter(side=side)
    if key is not None:
        try:
            support, created, pk = int(key[0]), timezone.datetime.fromisoformat(key[1]), int(key[2])
        except (IndexError, TypeError, ValueError) as exc:
            raise BadCursor("bad cursor position") from exc
        qs = qs.filter(
            Q(support__lt=support)
            | Q(support=support, created_at__gt=created)
            | Q(support=support, created_at=created, id__gt=pk)
        )
    items = list(qs[: limit + 1])
    more, items = len(items) > limit, items[:limit]
    if not more or not items:
        return items, None
    last = items[-1]
    return items, encode_cursor(kind, poll.debate_id, [last.support, last.created_at.isoformat(), last.pk])


def arguments_by_id(debate: Debate, ids: Any) -> dict[int, Argument]:
    """Arguments of this debate by id with their support count: per-item fragments."""
    return {
        a.pk: a
        for a in Argument.objects.filter(poll__debate=debate, pk__in=list(ids))
        .annotate(support=Count("upvotes"))
        .select_related("poll", "author")
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


# --- organisers ---------------------------------------------------------------------------------------------------
def debates_of_staff(user: Any, *, archived: bool = False) -> list[tuple[str, Any, list[Debate]]]:
    """ "My debates": the debates where `user` has a role (every debate for a superuser), by state in the order an
    organiser works through them; archived ones apart."""
    qs = Debate.objects.all() if user.is_superuser else Debate.objects.filter(roles__user=user).distinct()
    qs = qs.filter(archived_at__isnull=not archived).order_by("scheduled_start", "-id")
    by_status: dict[str, list[Debate]] = {s: [] for s in Debate.Status.values}
    for debate in qs:
        by_status[debate.status].append(debate)
    by_status[Debate.Status.CLOSED].sort(key=lambda d: d.closed_at or d.created_at, reverse=True)
    order = (Debate.Status.LIVE, Debate.Status.SCHEDULED, Debate.Status.DRAFT, Debate.Status.CLOSED)
    return [(s, Debate.Status(s).label, by_status[s]) for s in order]


def staff_roles(debate: Debate) -> list[DebateRole]:
    return list(debate.roles.select_related("user").order_by("role", "user__username"))


def invitations_of(debate: Debate) -> list[Any]:
    from .models import Invitation

    return list(Invitation.objects.filter(debate=debate).select_related("accepted_by").order_by("-created_at"))


def staff_notes(debate: Debate, limit: int = 5) -> list:
    """The moderators' latest notes to the officials, newest first (staff only)."""
    from .models import StaffNote

    return list(StaffNote.objects.filter(debate=debate).select_related("author").order_by("-created_at", "-id")[:limit])
