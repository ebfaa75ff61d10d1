"""Every write of the domain. Each function validates, locks what it must, writes in one transaction, logs
moderator actions, and announces the widgets it changed (published after commit by live.publish).

Errors meant for people are raised as ServiceError with a translated message and an HTTP status.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from live.publish import announce, nudge

from .models import (
    AgendaSegment,
    Answer,
    Argument,
    ArgumentUpvote,
    Debate,
    DebateRole,
    ModerationLog,
    Participant,
    Poll,
    PollOption,
    PresenceSample,
    Question,
    QuestionUpvote,
    Vote,
)


class ServiceError(Exception):
    """A refusal to show to the user: message is translated; status is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def _forbidden() -> ServiceError:
    return ServiceError(_("You are not allowed to do this in this debate."), status=403)


# --- permissions --------------------------------------------------------------------------------------------------
def has_role(debate: Debate, user: Any, role: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return DebateRole.objects.filter(debate=debate, user=user, role=role).exists()


def require_moderator(debate: Debate, user: Any) -> None:
    if not has_role(debate, user, DebateRole.Role.MODERATOR):
        raise _forbidden()


def require_official(debate: Debate, user: Any) -> None:
    if not has_role(debate, user, DebateRole.Role.OFFICIAL):
        raise _forbidden()


# --- helpers ------------------------------------------------------------------------------------------------------
def _log(debate: Debate, actor: Any, action: str, obj: Any, before: dict | None = None, after: dict | None = None) -> None:
    ModerationLog.objects.create(
        debate=debate,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "debate",
        object_id=getattr(obj, "pk", None),
        before=before or {},
        after=after or {},
    )


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def matched_words(debate: Debate, text: str) -> list[str]:
    """Words of the debate's filter found in text (accent- and case-insensitive, whole words)."""
    folded = _fold(text)
    found = []
    for word in debate.filtered_words():
        if re.search(rf"(?<!\w){re.escape(_fold(word))}(?!\w)", folded):
            found.append(word)
    return found


def _clean_text(text: str, limit: int, what: str) -> str:
    text = (text or "").strip()
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    if not text:
        raise ServiceError(_("Your %(what)s is empty.") % {"what": what})
    if len(text) > limit:
        raise ServiceError(
            _("Your %(what)s is too long (%(n)d characters, %(limit)d at most).")
            % {"what": what, "n": len(text), "limit": limit}
        )
    return text


def _require_open_for_citizens(debate: Debate, participant: Participant | None) -> None:
    if debate.status == Debate.Status.CLOSED:
        raise ServiceError(_("This debate is closed: posting and voting are over."), status=409)
    if not debate.accepts_posts:
        raise ServiceError(_("This debate is not open yet."), status=409)
    if participant is not None and participant.muted:
        raise ServiceError(_("A moderator has muted you in this debate: you can no longer post."), status=403)


# --- debates and life cycle ---------------------------------------------------------------------------------------
def debate_set_status(*, debate: Debate, status: str, actor: Any) -> Debate:
    """Move the debate along draft → scheduled → live → closed. Closing closes its polls and question intake."""
    require_moderator(debate, actor)
    with transaction.atomic():
        debate = Debate.objects.select_for_update().get(pk=debate.pk)
        if status not in Debate.TRANSITIONS.get(debate.status, set()):
            raise ServiceError(
                _("A debate cannot go from “%(from)s” to “%(to)s”.")
                % {"from": debate.get_status_display(), "to": Debate.Status(status).label if status in Debate.Status.values else status},
                status=409,
            )
        before = {"status": debate.status}
        now = timezone.now()
        debate.status = status
        if status == Debate.Status.LIVE:
            debate.opened_at = now
        if status == Debate.Status.CLOSED:
            debate.closed_at = now
            for poll in debate.polls.filter(status=Poll.Status.OPEN):
                poll.status, poll.closed_at = Poll.Status.CLOSED, now
                poll.save(update_fields=["status", "closed_at"])
            seg = debate.current_segment
            if seg and seg.ended_at is None and seg.started_at is not None:
                if seg.paused_at:
                    seg.paused_seconds += (now - seg.paused_at).total_seconds()
                    seg.paused_at = None
                seg.ended_at = now
                seg.save()
        debate.save()
        _log(debate, actor, "debate_status", debate, before, {"status": status})
        announce(debate.pk, {"status", "polls", "questions", "onscreen", "queue", "log"})
    return debate


def screen_token_regenerate(*, debate: Debate, actor: Any) -> Debate:
    from .models import new_secret_token

    require_moderator(debate, actor)
    with transaction.atomic():
        debate.screen_token = new_secret_token()
        debate.save(update_fields=["screen_token"])
        _log(debate, actor, "screen_link_regenerated", debate)
    return debate


def debate_update_settings(*, debate: Debate, actor: Any, **fields: Any) -> Debate:
    require_moderator(debate, actor)
    allowed = {"premoderation", "allow_anonymous", "question_max_length", "argument_max_length",
               "clock_warning_seconds", "trending_threshold", "word_filter", "screen_theme", "description", "title"}
    with transaction.atomic():
        debate = Debate.objects.select_for_update().get(pk=debate.pk)
        before = {k: getattr(debate, k) for k in fields if k in allowed}
        for key, value in fields.items():
            if key in allowed:
                setattr(debate, key, value)
        try:
            # Only what this change touches: a stored value that today's rules would refuse (the demo's vanity
            # code, say) must not block every settings change of that debate.
            debate.full_clean(exclude=[f.name for f in Debate._meta.fields if f.name not in before])
        except ValidationError as exc:
            raise ServiceError(" ".join(m for msgs in exc.message_dict.values() for m in msgs)) from None
        debate.save(update_fields=list(before))
        _log(debate, actor, "settings_changed", debate, before, {k: fields[k] for k in before})
        announce(debate.pk, {"status", "questions", "queue", "log"})
    return debate


def role_assign(*, debate: Debate, actor: Any, username: str, role: str, title: str = "") -> DebateRole:
    """Give a staff account a role on this debate. Only administrators (permission to add roles) may."""
    from django.contrib.auth import get_user_model

    if not (getattr(actor, "is_authenticated", False) and actor.has_perm("debates.add_debaterole")):
        raise _forbidden()
    if role not in DebateRole.Role.values:
        raise ServiceError(_("Unknown role."))
    user = get_user_model().objects.filter(username=(username or "").strip(), is_active=True).first()
    if user is None:
        raise ServiceError(_("No active account has this username."), status=404)
    with transaction.atomic():
        assigned, created = DebateRole.objects.get_or_create(
            debate=debate, user=user, role=role, defaults={"title": (title or "").strip()[:120]}
        )
        if not created:
            raise ServiceError(_("This account already has this role."), status=409)
        _log(debate, actor, "role_assigned", assigned, {}, {"user": user.get_username(), "role": role})
    return assigned


def role_remove(*, role: DebateRole, actor: Any) -> None:
    if not (getattr(actor, "is_authenticated", False) and actor.has_perm("debates.delete_debaterole")):
        raise _forbidden()
    with transaction.atomic():
        _log(role.debate, actor, "role_removed", role, {"user": role.user.get_username(), "role": role.role}, {})
        role.delete()


# --- participants -------------------------------------------------------------------------------------------------
def participant_join(*, debate: Debate, display_name: str = "") -> Participant:
    return Participant.objects.create(debate=debate, display_name=(display_name or "").strip()[:60])


def participant_rename(*, participant: Participant, display_name: str) -> Participant:
    name = (display_name or "").strip()
    if len(name) > 60:
        raise ServiceError(_("Your name is too long (60 characters at most)."))
    if not name and not participant.debate.allow_anonymous:
        raise ServiceError(_("This debate asks participants for a name."))
    participant.display_name = name
    participant.save(update_fields=["display_name"])
    return participant


def participant_set_muted(*, participant: Participant, muted: bool, actor: Any) -> Participant:
    debate = participant.debate
    require_moderator(debate, actor)
    with transaction.atomic():
        before = {"muted": participant.muted}
        participant.muted = muted
        participant.save(update_fields=["muted"])
        _log(debate, actor, "participant_muted" if muted else "participant_unmuted", participant, before,
             {"muted": muted, "name": str(participant.public_name)})  # a lazy "Anonymous citizen" is not JSON
        announce(debate.pk, {"queue", "log"})
        nudge(debate.pk, [participant.pk])
    return participant


# --- questions ----------------------------------------------------------------------------------------------------
def question_submit(*, debate: Debate, participant: Participant, text: str) -> Question:
    """A citizen asks. Pre-moderated debates (and posts caught by the word filter) hold it as pending."""
    _require_open_for_citizens(debate, participant)
    if not debate.allow_anonymous and not participant.display_name:
        raise ServiceError(_("This debate asks participants for a name before they post."))
    text = _clean_text(text, debate.question_max_length, _("question"))
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
        announce(debate.pk, {"questions", "queue"} if approved else {"queue"})
    return question


def question_upvote(*, question: Question, participant: Participant) -> Question:
    question = Question.objects.select_related("debate").get(pk=question.pk)  # judge on stored state
    debate = question.debate
    _require_open_for_citizens(debate, None)
    if not question.is_public:
        raise ServiceError(_("This question cannot be upvoted."), status=409)
    try:
        with transaction.atomic():
            QuestionUpvote.objects.create(question=question, participant=participant)
            Question.objects.filter(pk=question.pk).update(upvote_count=F("upvote_count") + 1)
    except IntegrityError:
        raise ServiceError(_("You have already upvoted this question."), status=409) from None
    question.refresh_from_db(fields=["upvote_count"])
    announce(debate.pk, {"questions"} | ({"queue"} if question.upvote_count == debate.trending_threshold else set()),
             hot=True)
    return question


def _lock_question(question: Question) -> Question:
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the handled_by outer join.
    return Question.objects.select_for_update(of=("self",)).select_related("handled_by").get(pk=question.pk)


def _already_handled(q: Question) -> ServiceError:
    who = q.handled_by.get_username() if q.handled_by else _("another moderator")
    return ServiceError(
        _("Already handled by %(who)s: this question is now “%(status)s”.") % {"who": who, "status": q.get_status_display()},
        status=409,
    )


def question_approve(*, question: Question, actor: Any) -> Question:
    require_moderator(question.debate, actor)
    with transaction.atomic():
        q = _lock_question(question)
        if q.status != Question.Status.PENDING:
            raise _already_handled(q)
        q.status, q.approved_at, q.handled_by = Question.Status.APPROVED, timezone.now(), actor
        q.save()
        _log(q.debate, actor, "question_approved", q, {"status": "pending"}, {"status": "approved"})
        announce(q.debate_id, {"questions", "queue", "log"})
        nudge(q.debate_id, [q.author_id])
    return q


def question_reject(*, question: Question, actor: Any, reason: str = "") -> Question:
    require_moderator(question.debate, actor)
    reason = (reason or "").strip()[:300]
    with transaction.atomic():
        q = _lock_question(question)
        if q.status not in (Question.Status.PENDING, Question.Status.APPROVED):
            raise _already_handled(q)
        before = {"status": q.status}
        q.status, q.rejection_reason, q.handled_by = Question.Status.REJECTED, reason, actor
        q.save()
        debate = q.debate
        if debate.on_screen_id == q.pk:
            Debate.objects.filter(pk=debate.pk).update(on_screen=None)
        _log(debate, actor, "question_rejected", q, before, {"status": "rejected", "reason": reason})
        announce(q.debate_id, {"questions", "queue", "onscreen", "log"})
        nudge(q.debate_id, [q.author_id])
    return q


def question_edit(*, question: Question, actor: Any, text: str) -> Question:
    require_moderator(question.debate, actor)
    text = _clean_text(text, max(question.debate.question_max_length, len(question.text)), _("question"))
    with transaction.atomic():
        q = _lock_question(question)
        before = {"text": q.text}
        q.text = text
        q.save(update_fields=["text", "updated_at"])
        _log(q.debate, actor, "question_edited", q, before, {"text": text})
        announce(q.debate_id, {"questions", "queue", "onscreen", "log"})
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
        if kept.status == Question.Status.PENDING:
            kept.status, kept.approved_at = Question.Status.APPROVED, timezone.now()
        kept.handled_by = actor
        kept.save()
        before = {"status": dup.status, "upvotes": dup.upvote_count}
        dup.merged_into, dup.upvote_count, dup.handled_by = kept, 0, actor
        if dup.status == Question.Status.PENDING:
            dup.status = Question.Status.REJECTED
            dup.rejection_reason = _("Merged into a similar question.")
        dup.save()
        if kept.debate.on_screen_id == dup.pk:
            Debate.objects.filter(pk=kept.debate_id).update(on_screen=kept)
        _log(kept.debate, actor, "question_merged", dup, before, {"merged_into": kept.pk, "kept_upvotes": kept.upvote_count})
        announce(kept.debate_id, {"questions", "queue", "onscreen", "log"})
        nudge(kept.debate_id, [dup.author_id, kept.author_id])
    return kept


def question_star(*, question: Question, actor: Any, starred: bool) -> Question:
    require_moderator(question.debate, actor)
    with transaction.atomic():
        q = _lock_question(question)
        q.starred = starred
        q.save(update_fields=["starred", "updated_at"])
        _log(q.debate, actor, "question_starred" if starred else "question_unstarred", q)
        announce(q.debate_id, {"queue", "questions", "log"})
    return q


def question_put_on_screen(*, question: Question | None, debate: Debate, actor: Any) -> Debate:
    """One question at most on screen: putting one there takes the previous one off. None clears the screen."""
    require_moderator(debate, actor)
    with transaction.atomic():
        d = Debate.objects.select_for_update().get(pk=debate.pk)
        if question is not None:
            q = _lock_question(question)
            if q.debate_id != d.pk:
                raise ServiceError(_("This question belongs to another debate."), status=404)
            if q.status == Question.Status.PENDING:
                q.status, q.approved_at, q.handled_by = Question.Status.APPROVED, timezone.now(), actor
                q.save()
                nudge(d.pk, [q.author_id])
            if not q.is_public:
                raise ServiceError(_("Only approved questions can go on screen."), status=409)
        before = {"on_screen": d.on_screen_id}
        d.on_screen = question
        d.save(update_fields=["on_screen"])
        _log(d, actor, "question_on_screen" if question else "screen_cleared", question or d, before,
             {"on_screen": question.pk if question else None})
        announce(d.pk, {"onscreen", "questions", "queue", "log"})
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
        q.save()
        _log(q.debate, actor, "question_answered", q, {"status": "approved"}, {"status": "answered"})
        announce(q.debate_id, {"questions", "onscreen", "queue", "log"})
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
        if q.status != Question.Status.ANSWERED:
            q.status, q.answered_at = Question.Status.ANSWERED, timezone.now()
            q.save(update_fields=["status", "answered_at", "updated_at"])
        _log(debate, actor, "answer_posted", q, {}, {"answer": text})
        announce(debate.pk, {"questions", "onscreen", "queue", "log"})
    return answer


# --- polls and votes ----------------------------------------------------------------------------------------------
def poll_create(
    *, debate: Debate, actor: Any, text: str, kind: str, options: Iterable[str] = (), results: str = Poll.Results.LIVE,
    open_now: bool = False,
) -> Poll:
    require_moderator(debate, actor)
    text = _clean_text(text, 500, _("poll"))
    if kind not in Poll.Kind.values:
        raise ServiceError(_("Unknown poll kind."))
    if results not in Poll.Results.values:
        raise ServiceError(_("Unknown results mode."))
    if kind == Poll.Kind.YES_NO_ABSTAIN:
        labels = [_("Yes"), _("No"), _("Abstain")]
    else:
        labels = [o.strip()[:200] for o in options if o and o.strip()]
        if len(labels) < 2:
            raise ServiceError(_("A multiple-choice poll needs at least two options."))
        if len(set(labels)) != len(labels):
            raise ServiceError(_("Two options have the same label."))
    with transaction.atomic():
        position = debate.polls.count()
        poll = Poll.objects.create(debate=debate, text=text, kind=kind, results=results, position=position)
        PollOption.objects.bulk_create(PollOption(poll=poll, label=lbl, position=i) for i, lbl in enumerate(labels))
        _log(debate, actor, "poll_created", poll, {}, {"text": text, "options": labels})
        announce(debate.pk, {"polls", "log"})
    if open_now:
        poll = poll_open(poll=poll, actor=actor)
    return poll


def poll_open(*, poll: Poll, actor: Any) -> Poll:
    debate = poll.debate
    require_moderator(debate, actor)
    if debate.is_closed:
        raise ServiceError(_("This debate is closed."), status=409)
    with transaction.atomic():
        p = Poll.objects.select_for_update().get(pk=poll.pk)
        if p.status == Poll.Status.OPEN:
            raise ServiceError(_("This poll is already open."), status=409)
        before = {"status": p.status}
        p.status, p.opened_at, p.closed_at = Poll.Status.OPEN, timezone.now(), None
        p.save()
        _log(debate, actor, "poll_opened", p, before, {"status": "open"})
        announce(debate.pk, {"polls", "log"})
    return p


def poll_close(*, poll: Poll, actor: Any) -> Poll:
    debate = poll.debate
    require_moderator(debate, actor)
    with transaction.atomic():
        p = Poll.objects.select_for_update().get(pk=poll.pk)
        if p.status != Poll.Status.OPEN:
            raise ServiceError(_("This poll is not open."), status=409)
        p.status, p.closed_at = Poll.Status.CLOSED, timezone.now()
        p.save()
        _log(debate, actor, "poll_closed", p, {"status": "open"}, {"status": "closed"})
        announce(debate.pk, {"polls", "log"})
    return p


def vote_cast(*, poll: Poll, participant: Participant, option_id: int) -> Vote:
    """One vote per participant per poll (database constraint); a new vote replaces the previous one while open."""
    poll = Poll.objects.select_related("debate").get(pk=poll.pk)
    debate = poll.debate
    _require_open_for_citizens(debate, None)
    if poll.status != Poll.Status.OPEN:
        raise ServiceError(_("This poll is closed: votes are no longer accepted."), status=409)
    if participant.debate_id != debate.pk:
        raise _forbidden()
    try:
        option = poll.options.get(pk=option_id)
    except (PollOption.DoesNotExist, ValueError, TypeError):
        raise ServiceError(_("This option does not belong to this poll.")) from None
    for _attempt in range(3):
        try:
            with transaction.atomic():
                updated = Vote.objects.filter(poll=poll, participant=participant).update(
                    option=option, updated_at=timezone.now()
                )
                if not updated:
                    Vote.objects.create(poll=poll, participant=participant, option=option)
                announce(debate.pk, {f"poll:{poll.pk}"}, hot=True)
            break
        except IntegrityError:
            continue  # a concurrent first vote by the same participant won: retry as an update
    else:
        raise ServiceError(_("Your vote could not be recorded, please try again."), status=409)
    return Vote.objects.get(poll=poll, participant=participant)


# --- bursts: the hot path's batched writes ----------------------------------------------------------------------
@dataclass(frozen=True)
class Ballot:
    """One vote as it arrives over HTTP: the debate's code and the poll and option ids as sent, and the citizen's
    participants as their session keeps them (debate id as text → participant id; empty for a newcomer)."""

    code: str
    poll_id: int
    option_id: int
    session_participants: dict[str, int]


@dataclass(frozen=True)
class Upvote:
    """One question upvote or argument support as it arrives over HTTP (see Ballot); target_id as in the URL."""

    code: str
    target_id: int
    session_participants: dict[str, int]


# The *_many functions below serve the hot path (hub/hot_path.py): a burst of the same citizen action, in a
# handful of queries and one transaction whatever the number. Each applies exactly the rules of its one-by-one
# service and view (the debate is not a draft, the target is in it, a citizen without a participant in this debate
# becomes one) and returns, per request, (debate id, id of the participant the write is stored under), or None
# when the request breaks a rule: nothing is written for it, and the caller replays it through the ordinary view,
# which explains the refusal.
HotOutcome = tuple[int, int] | None


def _open_for_citizens(debate: Debate | None, code: str) -> bool:
    return debate is not None and debate.code == code.upper() and debate.accepts_posts


def _session_participants(entries: list[tuple[dict[str, int], Debate]]) -> list[int]:
    """Per (session mapping, debate), the participant that session holds in that debate; one is created (in bulk)
    where it holds none, as participant_for_request(create=True) does. Call inside the write's transaction."""
    claimed = {pid for mapping, _d in entries for pid in mapping.values()}
    known = set(Participant.objects.filter(pk__in=claimed).values_list("pk", "debate_id")) if claimed else set()
    resolved: list[int | Participant] = []
    for mapping, debate in entries:
        pid = mapping.get(str(debate.pk))
        resolved.append(pid if (pid, debate.pk) in known else Participant(debate=debate))
    newcomers = [p for p in resolved if isinstance(p, Participant)]
    if newcomers:
        Participant.objects.bulk_create(newcomers)
    return [p.pk if isinstance(p, Participant) else p for p in resolved]


def vote_cast_many(ballots: list[Ballot]) -> list[HotOutcome]:
    """vote_cast for a burst. Two ballots of one participant on one poll: the later one wins, as it would one
    after the other."""
    polls = {p.pk: p for p in Poll.objects.select_related("debate").filter(pk__in={b.poll_id for b in ballots})}
    options = set(PollOption.objects.filter(poll_id__in=polls.keys()).values_list("poll_id", "pk"))

    def acceptable(b: Ballot) -> Debate | None:
        poll = polls.get(b.poll_id)
        debate = poll.debate if poll is not None else None
        if not _open_for_citizens(debate, b.code) or poll.status != Poll.Status.OPEN:
            return None
        return debate if (b.poll_id, b.option_id) in options else None

    outcome: list[HotOutcome] = [None] * len(ballots)
    accepted = [(i, b, d) for i, b in enumerate(ballots) if (d := acceptable(b)) is not None]
    if not accepted:
        return outcome
    now = timezone.now()
    with transaction.atomic():
        voters = _session_participants([(b.session_participants, d) for _i, b, d in accepted])
        latest: dict[tuple[int, int], Vote] = {}  # the last ballot of a participant on a poll wins
        for (i, b, d), pid in zip(accepted, voters):
            outcome[i] = (d.pk, pid)
            latest[(b.poll_id, pid)] = Vote(poll_id=b.poll_id, participant_id=pid, option_id=b.option_id,
                                            created_at=now, updated_at=now)
        Vote.objects.bulk_create(latest.values(), update_conflicts=True, unique_fields=["poll", "participant"],
                                 update_fields=["option", "updated_at"])
        for debate_id, poll_ids in _group({(d.pk, b.poll_id) for _i, b, d in accepted}).items():
            announce(debate_id, {f"poll:{pid}" for pid in poll_ids}, hot=True)
    return outcome


def question_upvote_many(upvotes: list[Upvote]) -> list[HotOutcome]:
    """question_upvote for a burst. A second upvote of one question by one participant (stored before, or twice
    in the burst) is refused (None), as question_upvote refuses it."""
    questions = {q.pk: q for q in Question.objects.select_related("debate")
                 .filter(pk__in={u.target_id for u in upvotes})}

    def acceptable(u: Upvote) -> Debate | None:
        question = questions.get(u.target_id)
        debate = question.debate if question is not None else None
        return debate if _open_for_citizens(debate, u.code) and question.is_public else None

    outcome: list[HotOutcome] = [None] * len(upvotes)
    accepted = [(i, u, d) for i, u in enumerate(upvotes) if (d := acceptable(u)) is not None]
    if not accepted:
        return outcome
    with transaction.atomic():
        rows = _first_upvotes(QuestionUpvote, "question_id", accepted, outcome)
        added: dict[int, int] = {}
        for row in rows:
            added[row.question_id] = added.get(row.question_id, 0) + 1
        for question_id, n in added.items():
            Question.objects.filter(pk=question_id).update(upvote_count=F("upvote_count") + n)
        counts = dict(Question.objects.filter(pk__in=added).values_list("pk", "upvote_count"))
        keys: dict[int, set[str]] = {}
        for question_id, n in added.items():
            debate = questions[question_id].debate
            keys.setdefault(debate.pk, {"questions"})
            if counts[question_id] - n < debate.trending_threshold <= counts[question_id]:
                keys[debate.pk].add("queue")  # it just became trending: moderators see it flagged
        for debate_id, widget_keys in keys.items():
            announce(debate_id, widget_keys, hot=True)
    return outcome


def argument_upvote_many(supports: list[Upvote]) -> list[HotOutcome]:
    """argument_upvote for a burst; a second support of one argument by one participant is refused (None)."""
    arguments = {a.pk: a for a in Argument.objects.select_related("poll__debate")
                 .filter(pk__in={s.target_id for s in supports})}

    def acceptable(s: Upvote) -> Debate | None:
        argument = arguments.get(s.target_id)
        debate = argument.poll.debate if argument is not None else None
        return debate if _open_for_citizens(debate, s.code) and argument.status == Argument.Status.VISIBLE else None

    outcome: list[HotOutcome] = [None] * len(supports)
    accepted = [(i, s, d) for i, s in enumerate(supports) if (d := acceptable(s)) is not None]
    if not accepted:
        return outcome
    with transaction.atomic():
        rows = _first_upvotes(ArgumentUpvote, "argument_id", accepted, outcome)
        for debate_id, poll_ids in _group({(arguments[r.argument_id].poll.debate_id, arguments[r.argument_id].poll_id)
                                           for r in rows}).items():
            announce(debate_id, {f"args:{pid}" for pid in poll_ids}, hot=True)
    return outcome


def _first_upvotes(model: type[QuestionUpvote] | type[ArgumentUpvote], target: str,
                   accepted: list[tuple[int, Upvote, Debate]], outcome: list[HotOutcome]) -> list[Any]:
    """Store one `model` row (target, participant) per accepted upvote whose participant has none for that target
    yet, and fill in their outcome; the others stay None (refused). Call inside the write's transaction."""
    voters = _session_participants([(u.session_participants, d) for _i, u, d in accepted])
    taken = set(model.objects.filter(**{f"{target}__in": {u.target_id for _i, u, _d in accepted}},
                                     participant_id__in=set(voters)).values_list(target, "participant_id"))
    rows = []
    for (i, u, d), pid in zip(accepted, voters):
        if (u.target_id, pid) not in taken:
            taken.add((u.target_id, pid))
            rows.append(model(**{target: u.target_id}, participant_id=pid))
            outcome[i] = (d.pk, pid)
    # A concurrent upvote through the ordinary view can still collide: the IntegrityError rolls the whole batch
    # back, and the hot path replays each request through the view, one by one.
    model.objects.bulk_create(rows)
    return rows


def _group(pairs: Iterable[tuple[int, int]]) -> dict[int, set[int]]:
    grouped: dict[int, set[int]] = {}
    for key, value in pairs:
        grouped.setdefault(key, set()).add(value)
    return grouped


# --- arguments ----------------------------------------------------------------------------------------------------
def argument_post(*, poll: Poll, participant: Participant, side: str, text: str) -> Argument:
    poll = Poll.objects.select_related("debate").get(pk=poll.pk)  # judge on stored state (it may have closed)
    debate = poll.debate
    _require_open_for_citizens(debate, participant)
    if not poll.is_proposition:
        raise ServiceError(_("Arguments are for propositions only."))
    if poll.status == Poll.Status.CLOSED:
        raise ServiceError(_("This proposition is closed."), status=409)
    if side not in Argument.Side.values:
        raise ServiceError(_("Choose a side: for or against."))
    text = _clean_text(text, debate.argument_max_length, _("argument"))
    flagged = matched_words(debate, text)
    with transaction.atomic():
        arg = Argument.objects.create(
            poll=poll, author=participant, side=side, text=text,
            status=Argument.Status.HELD if flagged else Argument.Status.VISIBLE,
            flagged_words=", ".join(flagged)[:300],
        )
        announce(debate.pk, {f"args:{poll.pk}", "queue"})
    return arg


def argument_upvote(*, argument: Argument, participant: Participant) -> Argument:
    debate = argument.poll.debate
    _require_open_for_citizens(debate, None)
    if argument.status != Argument.Status.VISIBLE:
        raise ServiceError(_("This argument cannot be supported."), status=409)
    try:
        with transaction.atomic():
            ArgumentUpvote.objects.create(argument=argument, participant=participant)
    except IntegrityError:
        raise ServiceError(_("You already support this argument."), status=409) from None
    announce(debate.pk, {f"args:{argument.poll_id}"}, hot=True)
    return argument


def argument_set_status(*, argument: Argument, actor: Any, status: str) -> Argument:
    debate = argument.poll.debate
    require_moderator(debate, actor)
    if status not in Argument.Status.values:
        raise ServiceError(_("Unknown status."))
    with transaction.atomic():
        arg = Argument.objects.select_for_update().get(pk=argument.pk)
        before = {"status": arg.status}
        arg.status = status
        arg.save(update_fields=["status"])
        _log(debate, actor, f"argument_{status}", arg, before, {"status": status})
        announce(debate.pk, {f"args:{arg.poll_id}", "queue", "log"})
    return arg


# --- the clock ----------------------------------------------------------------------------------------------------
def _segment_for_clock(debate: Debate) -> AgendaSegment | None:
    if debate.current_segment_id:
        return AgendaSegment.objects.select_for_update().get(pk=debate.current_segment_id)
    first = debate.segments.order_by("position", "id").first()
    return AgendaSegment.objects.select_for_update().get(pk=first.pk) if first else None


def clock_action(*, debate: Debate, actor: Any, action: str, seconds: int = 60) -> AgendaSegment:
    """start | pause | resume | extend | next | reset, on the current agenda segment."""
    require_moderator(debate, actor)
    now = timezone.now()
    with transaction.atomic():
        d = Debate.objects.select_for_update().get(pk=debate.pk)
        seg = _segment_for_clock(d)
        if seg is None:
            raise ServiceError(_("This debate has no agenda segment."), status=409)
        before = {"segment": seg.pk, "remaining": round(seg.remaining_seconds(now))}
        if action == "start":
            if seg.started_at is None or seg.ended_at is not None:
                seg.started_at, seg.paused_at, seg.paused_seconds, seg.ended_at = now, None, 0, None
            elif seg.paused_at is not None:
                seg.paused_seconds += (now - seg.paused_at).total_seconds()
                seg.paused_at = None
        elif action == "pause":
            if not seg.is_running:
                raise ServiceError(_("The clock is not running."), status=409)
            seg.paused_at = now
        elif action == "resume":
            if not seg.is_paused:
                raise ServiceError(_("The clock is not paused."), status=409)
            seg.paused_seconds += (now - seg.paused_at).total_seconds()
            seg.paused_at = None
        elif action == "extend":
            if not -3600 <= seconds <= 3600 or seconds == 0:
                raise ServiceError(_("Add between 1 second and one hour."))
            if seg.duration_seconds + seconds < 0:  # taking time off must not leave a negative duration
                raise ServiceError(_("The segment cannot last less than nothing."))
            seg.extra_seconds += seconds
        elif action == "reset":
            seg.started_at = seg.paused_at = seg.ended_at = None
            seg.paused_seconds, seg.extra_seconds = 0, 0
        elif action == "next":
            following = d.segments.filter(position__gt=seg.position).order_by("position", "id").first()
            if seg.started_at is not None and seg.ended_at is None:
                if seg.paused_at is not None:
                    seg.paused_seconds += (now - seg.paused_at).total_seconds()
                    seg.paused_at = None
                seg.ended_at = now
            seg.save()
            if following is None:
                raise ServiceError(_("This is the last segment of the agenda."), status=409)
            seg = AgendaSegment.objects.select_for_update().get(pk=following.pk)
            seg.started_at, seg.paused_at, seg.paused_seconds, seg.ended_at = now, None, 0, None
        else:
            raise ServiceError(_("Unknown clock action."))
        seg.save()
        if d.current_segment_id != seg.pk:
            d.current_segment = seg
            d.save(update_fields=["current_segment"])
        _log(d, actor, f"clock_{action}", seg, before, {"segment": seg.pk, "remaining": round(seg.remaining_seconds(now))})
        announce(d.pk, {"status", "log"})
    return seg


# --- presence (called by live/ through the registry) --------------------------------------------------------------
PRESENCE_SAMPLE_EVERY = timedelta(seconds=5)


def presence_record(debate_id: int, connected: int) -> None:
    """Keep the peak and a sample at most every few seconds, for the report."""
    Debate.objects.filter(pk=debate_id, peak_connected__lt=connected).update(peak_connected=connected)
    last = PresenceSample.objects.filter(debate_id=debate_id).order_by("-at").first()
    now = timezone.now()
    if last is None or now - last.at >= PRESENCE_SAMPLE_EVERY or (connected > last.connected * 1.5 + 10):
        PresenceSample.objects.create(debate_id=debate_id, at=now, connected=connected)
