"""Citizen proposals: settings, proposing, supporting (one by one and in bursts), withdrawing, flagging, and their
moderation (hide, restore, dismiss flags, merge). A proposal whose supports reach the threshold becomes official
exactly once, in the transaction that counted the support that got it there."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _


from ..errors import ServiceError
from ..models import AgendaSegment, Debate, Participant, Poll
from ..models_consult import Consultation, Proposal, ProposalFlag, ProposalSupport
from ..permissions import _forbidden, require_moderator
from .common import _log, _require_open_for_citizens, announce
from .date_rules import dates_refusal, require_within_dates
from .participants import (
    Outcome,
    Stored,
    citizen_debate,
    not_found,
    one,
    participants_for_sessions,
    session_mapping_for,
    share_debate_objects,
)
from .polls import _poll_insert
from .upvotes import Upvote, _judged
from .text import _clean_text, matched_words

SETTINGS_FIELDS = (
    "proposals_enabled",
    "proposal_threshold",
    "proposal_outcome",
    "proposal_max_length",
    "categories",
    "vote_mode",
)


def consultation_update(*, debate: Debate, actor: Any, **fields: Any) -> Consultation:
    """Change a debate's consultation settings (moderators of the debate); logged like every settings change."""
    require_moderator(debate, actor)
    with transaction.atomic():
        consultation, _created = Consultation.objects.select_for_update().get_or_create(debate=debate)
        before = {k: getattr(consultation, k) for k in fields if k in SETTINGS_FIELDS}
        for key in before:
            setattr(consultation, key, fields[key])
        try:
            consultation.full_clean(exclude=["debate"])
        except ValidationError as exc:
            raise ServiceError(" ".join(m for msgs in exc.message_dict.values() for m in msgs)) from None
        consultation.save()
        _log(debate, actor, "consultation_settings_changed", consultation, before, {k: fields[k] for k in before})
        announce(debate.pk, {"proposals", "proposals_queue", "log"})
    return consultation


def _accepting(debate: Debate) -> Consultation:
    consultation = Consultation.objects.filter(debate=debate).first()
    if consultation is None or not consultation.proposals_enabled:
        raise ServiceError(_("This debate does not accept proposals."), status=409)
    return consultation


def proposal_submit(*, debate: Debate, participant: Participant, title: str, text: str, category: str = "") -> Proposal:
    """A citizen proposes. Caught by the word filter, it is held for a moderator; otherwise it is published."""
    _require_open_for_citizens(debate, participant)
    require_within_dates(debate, phase="proposals")
    consultation = _accepting(debate)
    if not debate.allow_anonymous and not participant.display_name:
        raise ServiceError(_("This debate asks participants for a name before they post."))
    title = _clean_text(title, 200, _("title"))
    text = _clean_text(text, consultation.proposal_max_length, _("proposal"))
    category = (category or "").strip()
    categories = consultation.category_list()
    if category and category not in categories:
        raise ServiceError(_("Choose one of the proposed categories."))
    flagged = matched_words(debate, f"{title}\n{text}")
    with transaction.atomic():
        proposal = Proposal.objects.create(
            debate=debate,
            author=participant,
            title=title,
            text=text,
            category=category,
            status=Proposal.Status.HELD if flagged else Proposal.Status.PUBLISHED,
            flagged_words=", ".join(flagged)[:300],
        )
        announce(debate.pk, {"proposals_queue"} if flagged else {"proposals", "proposals_queue"})
    return proposal


def _store_supports(debate: Debate, consultation: Consultation, rows: list[ProposalSupport]) -> None:
    """Insert support rows (unique per proposal and participant: a duplicate raises IntegrityError), add them to the
    counts, and make official what the count brought to the threshold. Inside the caller's transaction."""
    ProposalSupport.objects.bulk_create(rows)
    added: dict[int, int] = {}
    for row in rows:
        added[row.proposal_id] = added.get(row.proposal_id, 0) + 1
    for proposal_id in sorted(added):  # in one order, so that two batches lock the rows they share alike
        Proposal.objects.filter(pk=proposal_id).update(
            support_count=F("support_count") + added[proposal_id], version=F("version") + 1
        )
    announce(debate.pk, {f"proposal:{pid}" for pid in added}, hot=True)
    _promote_due(debate, consultation, added)


def _promote_due(debate: Debate, consultation: Consultation, proposal_ids: Iterable[int]) -> list[int]:
    """Make official each of these proposals that reached the threshold and is not official yet.

    Exactly once: the conditional UPDATE only matches a proposal still gathering support. Its count was raised in
    this same transaction, which holds the row lock from then until commit; a concurrent support waits for it, and
    PostgreSQL re-evaluates the WHERE clause on the committed row, which is then official: that UPDATE matches 0.
    """
    promoted = []
    now = timezone.now()
    # One read for the batch (these rows are locked by this transaction's count update): only the proposals it
    # brought to the threshold go on to the conditional UPDATE, which alone decides.
    due = Proposal.objects.filter(
        pk__in=set(proposal_ids), status=Proposal.Status.PUBLISHED, support_count__gte=consultation.proposal_threshold
    ).values_list("pk", flat=True)
    for proposal_id in sorted(due):
        won = Proposal.objects.filter(
            pk=proposal_id, status=Proposal.Status.PUBLISHED, support_count__gte=consultation.proposal_threshold
        ).update(status=Proposal.Status.OFFICIAL, official_at=now, version=F("version") + 1)
        if won:
            promoted.append(proposal_id)
            _make_official(debate, consultation, Proposal.objects.get(pk=proposal_id))
    return promoted


def _make_official(debate: Debate, consultation: Consultation, proposal: Proposal) -> None:
    """Turn an official proposal into what the organiser chose, log it and announce it to every audience."""
    keys = {"proposals", "proposals_queue", f"proposal:{proposal.pk}", f"proposal_news:{proposal.pk}", "log"}
    if consultation.proposal_outcome == Consultation.Outcome.AGENDA:
        last = debate.segments.aggregate(m=Max("position"))["m"]
        proposal.segment = AgendaSegment.objects.create(
            debate=debate, position=0 if last is None else last + 1, title=proposal.title[:200], planned_seconds=600
        )
        keys.add("status")
    else:
        proposal.poll = _poll_insert(
            debate=debate,
            text=proposal.title[:500],
            kind=Poll.Kind.YES_NO_ABSTAIN,
            labels=[_("Yes"), _("No"), _("Abstain")],
            results=Poll.Results.LIVE,
            open_now=debate.accepts_posts,
        )
        keys.add("polls")
    proposal.save(update_fields=["segment", "poll"])
    _log(
        debate,
        None,
        "proposal_official",
        proposal,
        {"status": Proposal.Status.PUBLISHED},
        {
            "status": Proposal.Status.OFFICIAL,
            "supports": proposal.support_count,
            "outcome": consultation.proposal_outcome,
        },
    )
    # The news and the proposal's own card leave right after the commit (soon), but are not rendered in it: a
    # crossing inside a burst of supports must not hold the batch's answers. The lists and the new poll, dearer to
    # render, are coalesced (hot) as the supports that brought it here.
    news = {f"proposal:{proposal.pk}", f"proposal_news:{proposal.pk}"}
    announce(debate.pk, news, soon=True)
    announce(debate.pk, keys - news, hot=True)


def _support_rules(proposal: Proposal) -> Consultation:
    debate = proposal.debate
    _require_open_for_citizens(debate, None)
    require_within_dates(debate, phase="proposals")
    consultation = _accepting(debate)
    if not proposal.is_public:
        raise ServiceError(_("This proposal cannot be supported."), status=409)
    return consultation


def proposal_support(*, proposal: Proposal, participant: Participant) -> Proposal:
    """One support per participant per proposal (database constraint): proposal_support_many for one."""
    if participant.debate_id != proposal.debate_id:
        raise _forbidden()
    proposal = Proposal.objects.select_related("debate").get(pk=proposal.pk)  # judge on stored state
    _support_rules(proposal)  # the one-by-one wording (closed, not accepting, not public)
    outcome = one(proposal_support_many, Upvote(proposal.debate.code, proposal.pk, session_mapping_for(participant)))
    if isinstance(outcome, ServiceError):
        raise outcome
    proposal.refresh_from_db()
    return proposal


def proposal_support_many(supports: list[Upvote]) -> list[Outcome]:
    """Proposal supports, a burst of them (hub.hot_path) or one (proposal_support), in one transaction: a second
    support of one proposal by one participant is refused; the threshold crossing happens in that transaction."""
    proposals = {
        p.pk: p for p in Proposal.objects.select_related("debate").filter(pk__in={s.target_id for s in supports})
    }
    share_debate_objects(proposals.values())
    consultations = {
        c.debate_id: c
        for c in Consultation.objects.filter(
            debate_id__in={p.debate_id for p in proposals.values()}, proposals_enabled=True
        )
    }

    def judge(s: Upvote) -> Debate | ServiceError:
        proposal = proposals.get(s.target_id)
        debate = citizen_debate(proposal.debate if proposal is not None else None, s.code)
        if isinstance(debate, ServiceError) or proposal is None:
            return debate if isinstance(debate, ServiceError) else not_found()
        if debate.pk not in consultations:
            return ServiceError(_("This debate does not accept proposals."), status=409)
        refusal = dates_refusal(debate, phase="proposals", memo=True)
        if refusal is not None:
            return refusal
        if not proposal.is_public:
            return ServiceError(_("This proposal cannot be supported."), status=409)
        return debate

    outcome, accepted = _judged(supports, judge)
    if not accepted:
        return outcome
    with transaction.atomic():
        voters = participants_for_sessions([(s.session_participants, d, s.client_key) for _i, s, d in accepted])
        taken = set(
            ProposalSupport.objects.filter(
                proposal_id__in={s.target_id for _i, s, _d in accepted}, participant_id__in={v.pk for v in voters}
            ).values_list("proposal_id", "participant_id")
        )
        per_debate: dict[int, list[ProposalSupport]] = {}
        debates: dict[int, Debate] = {}
        again = ServiceError(_("You already support this proposal."), status=409)
        for (i, s, d), voter in zip(accepted, voters):
            if (s.target_id, voter.pk) in taken:
                outcome[i] = again
                continue
            taken.add((s.target_id, voter.pk))
            per_debate.setdefault(d.pk, []).append(ProposalSupport(proposal_id=s.target_id, participant_id=voter.pk))
            debates[d.pk] = d
            outcome[i] = Stored(d.pk, voter.pk)
        # A concurrent support through another process can still collide: the IntegrityError rolls the whole
        # batch back; the hot path replays each request through the view, whose next attempt sees the row.
        for debate_id, rows in per_debate.items():
            _store_supports(debates[debate_id], consultations[debate_id], rows)
    return outcome


def proposal_withdraw_support(*, proposal: Proposal, participant: Participant) -> Proposal:
    """Take a support back (until the debate closes). An official proposal stays official: it became so once."""
    proposal = Proposal.objects.select_related("debate").get(pk=proposal.pk)
    _support_rules(proposal)
    with transaction.atomic():
        deleted, _rows = ProposalSupport.objects.filter(proposal=proposal, participant=participant).delete()
        if not deleted:
            raise ServiceError(_("You do not support this proposal."), status=409)
        Proposal.objects.filter(pk=proposal.pk).update(support_count=F("support_count") - 1, version=F("version") + 1)
        announce(proposal.debate_id, {f"proposal:{proposal.pk}"}, hot=True)
    proposal.refresh_from_db()
    return proposal


def proposal_flag(*, proposal: Proposal, participant: Participant) -> Proposal:
    """A citizen reports a proposal as abusive (once each); moderators see it in their queue."""
    proposal = Proposal.objects.select_related("debate").get(pk=proposal.pk)
    _require_open_for_citizens(proposal.debate, participant)
    if not proposal.is_public:
        raise ServiceError(_("This proposal cannot be reported."), status=409)
    try:
        with transaction.atomic():
            ProposalFlag.objects.create(proposal=proposal, participant=participant)
            Proposal.objects.filter(pk=proposal.pk).update(flag_count=F("flag_count") + 1)
            announce(proposal.debate_id, {"proposals_queue"})
    except IntegrityError:
        raise ServiceError(_("You have already reported this proposal."), status=409) from None
    proposal.refresh_from_db()
    return proposal


MODERATION = {
    # action → (statuses it applies to, new status or None to keep it)
    "hide": ({Proposal.Status.PUBLISHED, Proposal.Status.OFFICIAL, Proposal.Status.HELD}, Proposal.Status.HIDDEN),
    "publish": ({Proposal.Status.HELD, Proposal.Status.HIDDEN}, Proposal.Status.PUBLISHED),
    "dismiss_flags": ({Proposal.Status.PUBLISHED, Proposal.Status.OFFICIAL}, None),
}


def proposal_moderate(*, proposal: Proposal, actor: Any, action: str) -> Proposal:
    """Hide an abusive proposal, publish a held or hidden one again, or keep a flagged one (flags dismissed)."""
    debate = proposal.debate
    require_moderator(debate, actor)
    if action not in MODERATION:
        raise ServiceError(_("Unknown action."))
    allowed, new_status = MODERATION[action]
    with transaction.atomic():
        p = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if p.status not in allowed:
            raise ServiceError(
                _("Already handled: this proposal is now “%(status)s”.") % {"status": p.get_status_display()},
                status=409,
            )
        before = {"status": p.status, "flags": p.flag_count}
        if new_status == Proposal.Status.PUBLISHED and p.official_at is not None:
            new_status = Proposal.Status.OFFICIAL  # it was official before being hidden: it stays so
        if new_status is not None:
            p.status = new_status
        p.flag_count = 0
        p.version += 1
        p.save(update_fields=["status", "flag_count", "version", "updated_at"])
        _log(debate, actor, f"proposal_{action}", p, before, {"status": p.status, "flags": 0})
        announce(debate.pk, {"proposals", "proposals_queue", f"proposal:{p.pk}", "log"})
        if new_status == Proposal.Status.PUBLISHED:
            _promote_due(debate, Consultation.objects.get_or_create(debate=debate)[0], [p.pk])
    return p


def proposal_merge(*, proposal: Proposal, into: Proposal, actor: Any) -> Proposal:
    """Merge a duplicate into another proposal: its supporters support the target (once each), it disappears from
    the lists, and the target may become official by it."""
    debate = proposal.debate
    require_moderator(debate, actor)
    if into.debate_id != debate.pk or into.pk == proposal.pk:
        raise ServiceError(_("Choose another proposal of this debate to merge into."))
    with transaction.atomic():
        locked = {p.pk: p for p in Proposal.objects.select_for_update().filter(pk__in=[proposal.pk, into.pk])}
        source, target = locked[proposal.pk], locked[into.pk]
        if source.status == Proposal.Status.MERGED or not (target.is_public or target.status == Proposal.Status.HELD):
            raise ServiceError(_("One of these proposals was already merged or hidden."), status=409)
        already = set(target.supports.values_list("participant_id", flat=True))
        moving = [pid for pid in source.supports.values_list("participant_id", flat=True) if pid not in already]
        source.supports.all().delete()
        before = {"status": source.status, "supports": source.support_count}
        source.status, source.merged_into, source.support_count = Proposal.Status.MERGED, target, 0
        source.version += 1
        source.save(update_fields=["status", "merged_into", "support_count", "version", "updated_at"])
        _log(
            debate,
            actor,
            "proposal_merged",
            source,
            before,
            {"status": Proposal.Status.MERGED, "into": target.pk, "supports_moved": len(moving)},
        )
        announce(debate.pk, {"proposals", "proposals_queue", f"proposal:{source.pk}", "log"})
        consultation = Consultation.objects.get_or_create(debate=debate)[0]
        if moving:
            _store_supports(
                debate, consultation, [ProposalSupport(proposal=target, participant_id=pid) for pid in moving]
            )
    source.refresh_from_db()
    return source
