"""Questions asked and upvoted by citizens: asking, upvoting (one by one and in bursts), taking an upvote back."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import limits
from ..errors import ServiceError
from ..models import (
    Debate,
    Participant,
    Question,
    QuestionUpvote,
)
from ..permissions import _forbidden
from .common import _require_open_for_citizens, announce
from .participants import (
    Outcome,
    citizen_debate,
    one,
    session_mapping_for,
    share_debate_objects,
)
from .text import _clean_text, matched_words
from .upvotes import Upvote, _first_upvotes, _judged


def question_submit(*, debate: Debate, participant: Participant, text: str) -> Question:
    """A citizen asks. Pre-moderated debates (and posts caught by the word filter) hold it as pending."""
    _require_open_for_citizens(debate, participant)
    if not debate.allow_anonymous and not participant.display_name:
        raise ServiceError(_("This debate asks participants for a name before they post."))
    text = _clean_text(text, debate.question_max_length, _("question"))
    limits.enforce("question", participant.pk, _("You have asked several questions in a row: please wait a minute."))
    flagged = matched_words(debate, text)
    approved = not debate.premoderation and not flagged
    with transaction.atomic():
        question = Question.objects.create(
            debate=debate,
            author=participant,
            text=text,
            status=Question.Status.APPROVED if approved else Question.Status.PENDING,
            flagged_words=", ".join(flagged)[:300],
            approved_at=timezone.now() if approved else None,
        )
        announce(debate.pk, {f"q+:{question.pk}" if approved else f"p+:{question.pk}", "counters"})
    return question


def question_upvote(*, question: Question, participant: Participant) -> Question:
    """One upvote per participant per question (database constraint), of a public question."""
    if participant.debate_id != question.debate_id:
        raise _forbidden()
    debate = Debate.objects.get(pk=question.debate_id)  # judge on stored state
    _require_open_for_citizens(debate, None)
    outcome = one(question_upvote_many, Upvote(debate.code, question.pk, session_mapping_for(participant)))
    if isinstance(outcome, ServiceError):
        raise outcome
    return Question.objects.select_related("debate").get(pk=question.pk)


def question_upvote_withdraw(*, question: Question, participant: Participant) -> Question:
    """A citizen takes their upvote back (a second tap on their own upvote). The counter goes down in the transaction
    that deletes the row, by what was deleted: it never drifts from the rows."""
    question = Question.objects.select_related("debate").get(pk=question.pk)
    debate = question.debate
    _require_open_for_citizens(debate, None)
    with transaction.atomic():
        deleted, _rows = QuestionUpvote.objects.filter(question=question, participant=participant).delete()
        if not deleted:
            raise ServiceError(_("You have not upvoted this question."), status=409)
        Question.objects.filter(pk=question.pk).update(
            upvote_count=F("upvote_count") - deleted, version=F("version") + 1
        )
    question.refresh_from_db(fields=["upvote_count"])
    announce(debate.pk, {f"qn:{question.pk}"}, hot=True)
    return question


def question_upvote_many(upvotes: list[Upvote]) -> list[Outcome]:
    """Question upvotes, a burst of them or one (question_upvote). A second upvote of one question by one
    participant (stored before, or twice in the burst) is refused."""
    questions = {
        q.pk: q for q in Question.objects.select_related("debate").filter(pk__in={u.target_id for u in upvotes})
    }
    share_debate_objects(questions.values())

    def judge(u: Upvote) -> Debate | ServiceError:
        question = questions.get(u.target_id)
        debate = citizen_debate(question.debate if question is not None else None, u.code)
        if isinstance(debate, Debate) and question is not None and not question.is_public:
            return ServiceError(_("This question cannot be upvoted."), status=409)
        return debate

    outcome, accepted = _judged(upvotes, judge)
    if not accepted:
        return outcome
    with transaction.atomic():
        rows = _first_upvotes(
            QuestionUpvote,
            "question_id",
            accepted,
            outcome,
            ServiceError(_("You have already upvoted this question."), status=409),
        )
        added: dict[int, int] = {}
        for row in rows:
            added[row.question_id] = added.get(row.question_id, 0) + 1
        for question_id, n in added.items():
            Question.objects.filter(pk=question_id).update(upvote_count=F("upvote_count") + n, version=F("version") + 1)
        counts = dict(Question.objects.filter(pk__in=added).values_list("pk", "upvote_count"))
        keys: dict[int, set[str]] = {}
        for question_id, n in added.items():
            debate = questions[question_id].debate
            keys.setdefault(debate.pk, set()).add(f"qn:{question_id}")
            if debate.is_trending(counts[question_id]) and not debate.is_trending(counts[question_id] - n):
                keys[debate.pk].add("queue")  # it just became trending: moderators see it flagged
        for debate_id, widget_keys in keys.items():
            announce(debate_id, widget_keys, hot=True)
    return outcome
