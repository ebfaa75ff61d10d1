"""Polls and propositions: creating, opening, closing, and votes (one by one and in bursts)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

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
from .participants import HotOutcome, _group, _open_for_citizens, _session_participants
from .text import _clean_text, clean_line


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
        labels = [label for o in options if (label := clean_line(o, 200))]
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
        p.version += 1
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
        p.version += 1
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
                Poll.objects.filter(pk=poll.pk).update(version=F("version") + 1)  # its results changed
                announce(debate.pk, {f"poll:{poll.pk}"}, hot=True)
            break
        except IntegrityError:
            continue  # a concurrent first vote by the same participant won: retry as an update
    else:
        raise ServiceError(_("Your vote could not be recorded, please try again."), status=409)
    return Vote.objects.get(poll=poll, participant=participant)


@dataclass(frozen=True)
class Ballot:
    """One vote as it arrives over HTTP: the debate's code and the poll and option ids as sent, and the citizen's
    participants as their session keeps them (debate id as text → participant id; empty for a newcomer)."""

    code: str
    poll_id: int
    option_id: int
    session_participants: dict[str, int]


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
        Poll.objects.filter(pk__in={b.poll_id for _i, b, _d in accepted}).update(version=F("version") + 1)
        for debate_id, poll_ids in _group({(d.pk, b.poll_id) for _i, b, d in accepted}).items():
            announce(debate_id, {f"poll:{pid}" for pid in poll_ids}, hot=True)
    return outcome
