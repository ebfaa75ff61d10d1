"""Questions handled by staff: approve, reject (one by one or a selection), edit, merge, star, put on screen, mark
answered, an official's answer, and the moderator's Undo."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ..errors import ServiceError
from ..models import (
    Answer,
    Debate,
    DebateRole,
    Question,
    QuestionUpvote,
)
from ..permissions import _forbidden, has_role, require_moderator, require_official
from .common import _log, announce, nudge
from .text import _clean_text, clean_line


def _lock_question(question: Question) -> Question:
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the handled_by outer join.
    return Question.objects.select_for_update(of=("self",)).select_related("handled_by").get(pk=question.pk)


def _already_handled(q: Question) -> ServiceError:
    who = q.handled_by.get_username() if q.handled_by else _("another moderator")
    return ServiceError(
        _("Already handled by %(who)s: this question is now “%(status)s”.")
        % {"who": who, "status": q.get_status_display()},
        status=409,
    )


def question_approve(*, question: Question, actor: Any) -> Question:
    require_moderator(question.debate, actor)
    with transaction.atomic():
        q = _lock_question(question)
        if q.status != Question.Status.PENDING:
            raise _already_handled(q)
        q.status, q.approved_at, q.handled_by = Question.Status.APPROVED, timezone.now(), actor
        q.version += 1  # the row is locked: this UPDATE is the change and its version at once
        q.save()
        _log(q.debate, actor, "question_approved", q, {"status": "pending"}, {"status": "approved"})
        announce(q.debate_id, {f"q+:{q.pk}", "counters", "log"})
        nudge(q.debate_id, [q.author_id])
    return q


def question_reject(*, question: Question, actor: Any, reason: str = "") -> Question:
    require_moderator(question.debate, actor)
    reason = clean_line(reason, 300)
    with transaction.atomic():
        q = _lock_question(question)
        if q.status not in (Question.Status.PENDING, Question.Status.APPROVED):
            raise _already_handled(q)
        before = {"status": q.status}
        q.status, q.rejection_reason, q.handled_by = Question.Status.REJECTED, reason, actor
        q.version += 1
        q.save()
        debate = q.debate
        keys = {f"q:{q.pk}", "counters", "onscreen", "log"}
        if debate.on_screen_id == q.pk:
            Debate.objects.filter(pk=debate.pk).update(on_screen=None)
            keys.add("screenctl")
        _log(debate, actor, "question_rejected", q, before, {"status": "rejected", "reason": reason})
        announce(q.debate_id, keys)
        nudge(q.debate_id, [q.author_id])
    return q


BULK_MAX = 200  # questions one bulk action may handle (a page of the queue is 50)


def question_moderate_many(
    *, debate: Debate, question_ids: list[Any], actor: Any, action: str, reason: str = ""
) -> tuple[int, int]:
    """Approve or reject a selection of pending questions in one transaction, each as question_approve /
    question_reject would (logged one by one, announced per item). Questions another moderator handled meanwhile,
    or not of this debate, are skipped. Returns (handled, skipped)."""
    require_moderator(debate, actor)
    if action not in ("approve", "reject"):
        raise ServiceError(_("Unknown action."))
    ids = []
    for raw in question_ids[:BULK_MAX]:
        try:
            ids.append(int(raw))
        except (TypeError, ValueError):
            continue
    if not ids:
        raise ServiceError(_("Select at least one question."))
    done = skipped = 0
    with transaction.atomic():
        for question in (
            Question.objects.select_related("debate")
            .filter(debate=debate, pk__in=ids, status=Question.Status.PENDING)
            .order_by("pk")
        ):
            try:
                with transaction.atomic():
                    if action == "approve":
                        question_approve(question=question, actor=actor)
                    else:
                        question_reject(question=question, actor=actor, reason=reason)
                done += 1
            except ServiceError:
                skipped += 1
    return done, skipped + (len(set(ids)) - done - skipped)


def question_edit(*, question: Question, actor: Any, text: str) -> Question:
    require_moderator(question.debate, actor)
    text = _clean_text(text, max(question.debate.question_max_length, len(question.text)), _("question"))
    with transaction.atomic():
        q = _lock_question(question)
        before = {"text": q.text}
        q.text = text
        q.version += 1
        q.save(update_fields=["text", "version", "updated_at"])
        _log(q.debate, actor, "question_edited", q, before, {"text": text})
        announce(q.debate_id, {f"q:{q.pk}", "onscreen", "log"})
        nudge(q.debate_id, [q.author_id])
    return q


def question_merge(*, duplicate: Question, into: Question, actor: Any) -> Question:
    """Fold a duplicate into the kept question: upvotes combine (one per person), the duplicate points to it."""
    require_moderator(duplicate.debate, actor)
    if duplicate.pk == into.pk or duplicate.debate_id != into.debate_id:
        raise ServiceError(_("Pick two different questions of this debate to merge."))
    with transaction.atomic():
        dup, kept = _lock_question(duplicate), _lock_question(into)
        if dup.merged_into_id:
            raise ServiceError(_("This question was already merged."), status=409)
        if kept.merged_into_id or kept.status == Question.Status.REJECTED:
            raise ServiceError(_("The question to keep is no longer available."), status=409)
        already = set(kept.upvotes.values_list("participant_id", flat=True))
        moved = dup.upvotes.exclude(participant_id__in=already)
        moved.update(question=kept)
        dup.upvotes.all().delete()
        if dup.author_id and dup.author_id != kept.author_id and dup.author_id not in already:
            # The duplicate's author supports the kept question too.
            QuestionUpvote.objects.get_or_create(question=kept, participant_id=dup.author_id)
        kept.upvote_count = kept.upvotes.count()
        published = kept.status == Question.Status.PENDING
        if published:
            kept.status, kept.approved_at = Question.Status.APPROVED, timezone.now()
        kept.handled_by = actor
        kept.version += 1
        kept.save()
        before = {"status": dup.status, "upvotes": dup.upvote_count}
        dup.merged_into, dup.upvote_count, dup.handled_by = kept, 0, actor
        dup.version += 1
        if dup.status == Question.Status.PENDING:
            dup.status = Question.Status.REJECTED
            dup.rejection_reason = _("Merged into a similar question.")
        dup.save()
        if kept.debate.on_screen_id == dup.pk:
            Debate.objects.filter(pk=kept.debate_id).update(on_screen=kept)
        _log(
            kept.debate,
            actor,
            "question_merged",
            dup,
            before,
            {"merged_into": kept.pk, "kept_upvotes": kept.upvote_count},
        )
        announce(
            kept.debate_id,
            {f"q:{dup.pk}", f"q+:{kept.pk}" if published else f"q:{kept.pk}", "counters", "onscreen", "log"},
        )
        nudge(kept.debate_id, [dup.author_id, kept.author_id])
    return kept


def question_star(*, question: Question, actor: Any, starred: bool) -> Question:
    require_moderator(question.debate, actor)
    with transaction.atomic():
        q = _lock_question(question)
        q.starred = starred
        q.version += 1
        q.save(update_fields=["starred", "version", "updated_at"])
        _log(q.debate, actor, "question_starred" if starred else "question_unstarred", q)
        announce(q.debate_id, {f"q:{q.pk}", "log"})
    return q


def question_put_on_screen(*, question: Question | None, debate: Debate, actor: Any) -> Debate:
    """One question at most on screen: putting one there takes the previous one off. None clears the screen."""
    require_moderator(debate, actor)
    with transaction.atomic():
        d = Debate.objects.select_for_update().get(pk=debate.pk)
        keys = {"onscreen", "counters", "log"} | ({f"q:{d.on_screen_id}"} if d.on_screen_id else set())
        if question is not None:
            q = _lock_question(question)
            if q.debate_id != d.pk:
                raise ServiceError(_("This question belongs to another debate."), status=404)
            if q.status == Question.Status.PENDING:
                q.status, q.approved_at, q.handled_by = Question.Status.APPROVED, timezone.now(), actor
                q.version += 1
                q.save()
                nudge(d.pk, [q.author_id])
                keys.add(f"q+:{q.pk}")
            if not q.is_public:
                raise ServiceError(_("Only approved questions can go on screen."), status=409)
            if f"q+:{q.pk}" not in keys:
                keys.add(f"q:{q.pk}")
        before = {"on_screen": d.on_screen_id}
        # Both cards change (the "on screen" badge): the one leaving the screen and the one arriving.
        Question.objects.filter(pk__in={d.on_screen_id, question.pk if question else None} - {None}).update(
            version=F("version") + 1
        )
        d.on_screen = question
        if question is not None and d.screen_mode != Debate.ScreenMode.QUESTION:
            # Putting a question up is also choosing what the hall sees: the screen leaves its slide or poll.
            d.screen_mode = Debate.ScreenMode.QUESTION
            keys.add("screenpoll")
        d.save(update_fields=["on_screen", "screen_mode"])
        _log(
            d,
            actor,
            "question_on_screen" if question else "screen_cleared",
            question or d,
            before,
            {"on_screen": question.pk if question else None},
        )
        announce(d.pk, keys | {"screenctl"})
    return d


def question_mark_answered(*, question: Question, actor: Any) -> Question:
    debate = question.debate
    if not (has_role(debate, actor, DebateRole.Role.MODERATOR) or has_role(debate, actor, DebateRole.Role.OFFICIAL)):
        raise _forbidden()
    with transaction.atomic():
        q = _lock_question(question)
        if q.status == Question.Status.ANSWERED:
            raise _already_handled(q)
        if not q.is_public:
            raise ServiceError(_("Only approved questions can be marked answered."), status=409)
        q.status, q.answered_at, q.handled_by = Question.Status.ANSWERED, timezone.now(), actor
        q.version += 1
        q.save()
        _log(q.debate, actor, "question_answered", q, {"status": "approved"}, {"status": "answered"})
        announce(q.debate_id, {f"q:{q.pk}", "onscreen", "counters", "log"})
        nudge(q.debate_id, [q.author_id])
    return q


def answer_post(*, question: Question, actor: Any, text: str) -> Answer:
    """An official's written answer; the question becomes answered."""
    debate = question.debate
    require_official(debate, actor)
    text = _clean_text(text, 4000, _("answer"))
    with transaction.atomic():
        q = _lock_question(question)
        if not q.is_public:
            raise ServiceError(_("Only approved questions can be answered."), status=409)
        answer = Answer.objects.create(question=q, author=actor, text=text)
        q.version += 1  # a new answer shows on the card
        if q.status != Question.Status.ANSWERED:
            q.status, q.answered_at = Question.Status.ANSWERED, timezone.now()
        q.save(update_fields=["status", "answered_at", "version", "updated_at"])
        _log(debate, actor, "answer_posted", q, {}, {"answer": text})
        announce(debate.pk, {f"q:{q.pk}", "onscreen", "counters", "log"})
    return answer


# The console offers Undo for a few seconds after these actions; the server accepts it for a minute, and only while
# the action is still the last thing that happened to the question (nobody acted on it since).
UNDO_SECONDS = 60
UNDOABLE = {
    "approve": "question_approved",
    "reject": "question_rejected",
    "star": "question_starred",
    "unstar": "question_unstarred",
}


def question_undo(*, question: Question, actor: Any, action: str) -> Question:
    """Take back one's own approve, reject, star or unstar of a moment ago: the question returns to its state
    before (a rejected question to pending or approved, its reason cleared). Logged as an action of its own."""
    from ..models import ModerationLog

    require_moderator(question.debate, actor)
    logged = UNDOABLE.get(action)
    if logged is None:
        raise ServiceError(_("This action cannot be undone."), status=400)
    with transaction.atomic():
        q = _lock_question(question)
        last = ModerationLog.objects.filter(debate_id=q.debate_id, object_type="question", object_id=q.pk).first()
        recent = last is not None and (timezone.now() - last.created_at).total_seconds() <= UNDO_SECONDS
        if last is None or not (recent and last.action == logged and last.actor_id == actor.pk):
            raise ServiceError(
                _("Too late to undo: the question has changed since, or the moment has passed."), status=409
            )
        before = {"status": q.status, "starred": q.starred}
        if action in ("star", "unstar"):
            q.starred = action == "unstar"
        elif action == "approve":
            if q.status != Question.Status.APPROVED or q.answers.exists() or q.debate.on_screen_id == q.pk:
                raise ServiceError(
                    _("Too late to undo: the question has changed since, or the moment has passed."), status=409
                )
            q.status, q.approved_at, q.handled_by = Question.Status.PENDING, None, None
        else:  # reject
            q.status = last.before.get("status", Question.Status.PENDING)
            q.rejection_reason, q.handled_by = "", None
            if q.status == Question.Status.PENDING:
                q.approved_at = None
        q.version += 1
        q.save()
        _log(q.debate, actor, "question_undone", q, before, {"undid": logged, "status": q.status, "starred": q.starred})
        # Per item, as the action undone was announced: back in the queue (its approved card removed), or back in
        # the public lists (a withdrawn approved question), or only its card (a star).
        keys = {f"q:{q.pk}", "log"}
        if q.status == Question.Status.PENDING:
            keys |= {f"p+:{q.pk}", "counters"}
        elif action == "reject":
            keys = {f"q+:{q.pk}", "counters", "log"}
        announce(q.debate_id, keys)
        nudge(q.debate_id, [q.author_id])
    return q
