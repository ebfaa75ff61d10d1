"""Polls and propositions: creating, opening, closing, and votes (one by one and in bursts)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import selectors
from ..errors import ServiceError
from ..models import (
    Debate,
    Participant,
    Poll,
    PollOption,
    Vote,
)
from ..permissions import _forbidden, require_moderator
from .common import _log, _require_open_for_citizens, announce
from .participants import (
    Outcome,
    Stored,
    _group,
    citizen_debate,
    not_found,
    one,
    participants_for_sessions,
    session_mapping_for,
    share_debate_objects,
)
from .text import _clean_text, clean_line
from .date_rules import dates_refusal, require_within_dates
from .voting import polls_needing_codes, vote_rules, vote_with_code


def poll_create(
    *,
    debate: Debate,
    actor: Any,
    text: str,
    kind: str,
    options: Iterable[str] = (),
    results: str = Poll.Results.LIVE,
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
        labels = [label for o in options if (label := clean_line(o, 200))]
        if len(labels) < 2:
            raise ServiceError(_("A multiple-choice poll needs at least two options."))
        if len(set(labels)) != len(labels):
            raise ServiceError(_("Two options have the same label."))
    with transaction.atomic():
        poll = _poll_insert(debate=debate, text=text, kind=kind, labels=labels, results=results)
        _log(debate, actor, "poll_created", poll, {}, {"text": text, "options": labels})
        announce(debate.pk, {"polls", "log", "screenctl"})
    if open_now:
        poll = poll_open(poll=poll, actor=actor)
    return poll


def _poll_insert(
    *, debate: Debate, text: str, kind: str, labels: list[str], results: str, open_now: bool = False
) -> Poll:
    """Store a poll and its options (inside the caller's transaction). Also used when a citizen proposal becomes
    official and is put to the vote, and for a text's articles: there the system creates (and may open) it."""
    position = debate.polls.count()
    now = timezone.now()
    poll = Poll.objects.create(
        debate=debate,
        text=text,
        kind=kind,
        results=results,
        position=position,
        status=Poll.Status.OPEN if open_now else Poll.Status.DRAFT,
        opened_at=now if open_now else None,
    )
    PollOption.objects.bulk_create(PollOption(poll=poll, label=lbl, position=i) for i, lbl in enumerate(labels))
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
        p.version += 1
        p.save()
        _log(debate, actor, "poll_opened", p, before, {"status": "open"})
        announce(debate.pk, {"polls", "log", "screenctl"})
    return p


def poll_close(*, poll: Poll, actor: Any) -> Poll:
    debate = poll.debate
    require_moderator(debate, actor)
    with transaction.atomic():
        p = Poll.objects.select_for_update().get(pk=poll.pk)
        if p.status != Poll.Status.OPEN:
            raise ServiceError(_("This poll is not open."), status=409)
        p.status, p.closed_at = Poll.Status.CLOSED, timezone.now()
        p.version += 1
        p.save()
        _log(debate, actor, "poll_closed", p, {"status": "open"}, {"status": "closed"})
        announce(debate.pk, {"polls", "log", "screenctl"})
    return p


@dataclass(frozen=True)
class Ballot:
    """One vote as it arrives over HTTP: the debate's code and the poll and option ids as sent (option None when
    it was not a number), and the citizen's participants as their session keeps them (debate id as text →
    participant id; empty for a newcomer)."""

    code: str
    poll_id: int
    option_id: int | None
    session_participants: Mapping[str, int]
    client_key: str | None = None  # the browser's (services.participants.client_key)


def vote_cast(*, poll: Poll, participant: Participant, option_id: Any) -> Vote | None:
    """One vote per participant per poll (database constraint); a new vote replaces the previous one while open."""
    if participant.debate_id != poll.debate_id:
        raise _forbidden()
    debate = Debate.objects.get(pk=poll.debate_id)  # judge on stored state
    _require_open_for_citizens(debate, None)  # a draft debate is "not open yet" here, not "not found"
    poll = Poll.objects.select_related("debate").get(pk=poll.pk)
    rules = vote_rules(poll)
    if rules.needs_code:  # voter codes: one vote per (poll, code), secret ballots unlinked (services.voting)
        require_within_dates(debate, phase="vote")
        if poll.status != Poll.Status.OPEN:
            raise ServiceError(_("This poll is closed: votes are no longer accepted."), status=409)
        option_pk = selectors.parse_id(option_id)
        option = poll.options.filter(pk=option_pk).first() if option_pk is not None else None
        if option is None:
            raise ServiceError(_("This option does not belong to this poll."))
        return vote_with_code(poll=poll, participant=participant, option=option, rules=rules)
    ballot = Ballot(debate.code, poll.pk, selectors.parse_id(option_id), session_mapping_for(participant))
    outcome = one(vote_cast_many, ballot)
    if isinstance(outcome, ServiceError):
        raise outcome
    return Vote.objects.get(poll=poll, participant=participant)


def _ballot_refusal(ballot: Ballot, poll: Poll | None, options: set[tuple[int, int]]) -> Debate | ServiceError:
    debate = citizen_debate(poll.debate if poll is not None else None, ballot.code)
    if isinstance(debate, ServiceError) or poll is None:
        return debate if isinstance(debate, ServiceError) else not_found()
    refusal = dates_refusal(debate, phase="vote", memo=True)
    if refusal is not None:
        return refusal
    if poll.status != Poll.Status.OPEN:
        return ServiceError(_("This poll is closed: votes are no longer accepted."), status=409)
    if ballot.option_id is None or (ballot.poll_id, ballot.option_id) not in options:
        return ServiceError(_("This option does not belong to this poll."))
    return debate


def vote_cast_many(ballots: list[Ballot]) -> list[Outcome]:
    """Votes, a burst of them or one (vote_cast). Two ballots of one participant on one poll: the later one wins,
    as it would one after the other."""
    polls = {p.pk: p for p in Poll.objects.select_related("debate").filter(pk__in={b.poll_id for b in ballots})}
    share_debate_objects(polls.values())
    options = set(PollOption.objects.filter(poll_id__in=polls.keys()).values_list("poll_id", "pk"))
    coded = polls_needing_codes(set(polls))
    outcome: list[Outcome] = []
    accepted: list[tuple[int, Ballot, Debate, int]] = []  # (position, ballot, its debate, its option)
    for i, ballot in enumerate(ballots):
        judged = _ballot_refusal(ballot, polls.get(ballot.poll_id), options)
        outcome.append(judged if isinstance(judged, ServiceError) else not_found())
        if isinstance(judged, Debate) and ballot.option_id is not None:  # accepted: its option is the poll's
            accepted.append((i, ballot, judged, ballot.option_id))
    # Polls that need a voter code: one by one, through the code's rules (services.voting).
    for i, ballot, debate, option_id in [a for a in accepted if a[1].poll_id in coded]:
        poll = polls[ballot.poll_id]
        with transaction.atomic():
            voter = participants_for_sessions([(ballot.session_participants, debate, ballot.client_key)])[0]
            try:
                vote_with_code(
                    poll=poll,
                    participant=voter,
                    option=PollOption.objects.get(pk=option_id),
                    rules=vote_rules(poll),
                )
                outcome[i] = Stored(debate.pk, voter.pk)
            except ServiceError as refusal:
                outcome[i] = refusal
    accepted = [a for a in accepted if a[1].poll_id not in coded]
    if not accepted:
        return outcome
    now = timezone.now()
    with transaction.atomic():
        voters = participants_for_sessions([(b.session_participants, d, b.client_key) for _i, b, d, _o in accepted])
        latest: dict[tuple[int, int], Vote] = {}  # the last ballot of a participant on a poll wins
        for (i, b, d, option_id), voter in zip(accepted, voters):
            outcome[i] = Stored(d.pk, voter.pk)
            latest[(b.poll_id, voter.pk)] = Vote(
                poll_id=b.poll_id, participant_id=voter.pk, option_id=option_id, created_at=now, updated_at=now
            )
        Vote.objects.bulk_create(
            latest.values(),
            update_conflicts=True,
            unique_fields=["poll", "participant"],
            update_fields=["option", "updated_at"],
        )
        Poll.objects.filter(pk__in={b.poll_id for _i, b, _d, _o in accepted}).update(version=F("version") + 1)
        for debate_id, poll_ids in _group({(d.pk, b.poll_id) for _i, b, d, _o in accepted}).items():
            announce(debate_id, {f"poll:{pid}" for pid in poll_ids}, hot=True)
    return outcome
