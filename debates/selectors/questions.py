"""Questions: the public windows and search, the console's pages and counters, lookups, merge candidates."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Count, Prefetch, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from ..models import (
    Answer,
    Debate,
    Question,
)
from .common import CONSOLE_PAGE, WINDOW, BadCursor, _existing_id, _like_pattern, decode_cursor, encode_cursor, page_of


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


QUESTION_ORDERS = ("top", "recent")


def _public_questions_qs(debate: Debate):
    return Question.objects.filter(
        debate=debate, status__in=[Question.Status.APPROVED, Question.Status.ANSWERED], merged_into__isnull=True
    )


SEARCH_MIN_LENGTH = 3  # fewer characters: no search (the tab's window)
SEARCH_MAX_LENGTH = 100  # more: refused (BadCursor, a 400)


def _search_digest(search: str) -> str:
    import hashlib

    return hashlib.blake2b(search.casefold().encode(), digest_size=6).hexdigest()


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
                votes, created, pk = int(key[0]), datetime.fromisoformat(key[1]), int(key[2])
                qs = qs.filter(
                    Q(upvote_count__lt=votes)
                    | Q(upvote_count=votes, created_at__gt=created)
                    | Q(upvote_count=votes, created_at=created, id__gt=pk)
                )
        else:
            qs = qs.order_by("-created_at", "-id")
            if key is not None:
                created, pk = datetime.fromisoformat(key[0]), int(key[1])
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


def count_change_may_reorder_top(debate: Debate, question_ids: Any, top: int) -> bool:
    """Whether a change of one upvote (up or down) of each of these questions may change the first `top` questions
    of Top: one of them has at least the count of the last of them, less one (ties are ordered by age, so the test
    is conservative), or Top has fewer than `top` questions. One small indexed read, instead of a render."""
    last_shown = _public_questions_qs(debate).order_by("-upvote_count", "created_at", "id").values("upvote_count")
    floor = Coalesce(Subquery(last_shown[top - 1 : top]), Value(0)) - 1  # fewer than `top`: all are shown
    return _public_questions_qs(debate).filter(pk__in=list(question_ids), upvote_count__gte=floor).exists()


def question_counts_by_id(debate: Debate, ids: Any) -> dict[int, Question]:
    """Questions of this debate by id with only what a count fragment shows (an upvote flush): no author, answers."""
    fields = ("id", "debate_id", "status", "merged_into_id", "upvote_count", "version")
    return {q.pk: q for q in Question.objects.filter(debate=debate, pk__in=list(ids)).only(*fields)}


def questions_by_id(debate: Debate, ids: Any) -> dict[int, Question]:
    """Questions of this debate by id, with what their card shows (author, answers): per-item fragments."""
    return {
        q.pk: q
        for q in Question.objects.filter(debate=debate, pk__in=list(ids))
        .select_related("author")
        .prefetch_related(_answers_prefetch())
    }


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
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
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


# --- counters for moderators --------------------------------------------------------------------------------------
def question_counters(debate: Debate) -> dict[str, int]:
    agg = Question.objects.filter(debate=debate, merged_into__isnull=True).aggregate(
        pending=Count("id", filter=Q(status=Question.Status.PENDING)),
        approved=Count("id", filter=Q(status=Question.Status.APPROVED)),
        answered=Count("id", filter=Q(status=Question.Status.ANSWERED)),
        rejected=Count("id", filter=Q(status=Question.Status.REJECTED)),
    )
    return agg
