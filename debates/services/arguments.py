"""Arguments for and against a proposition: posting, supporting (one by one and in bursts), hiding."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from ..errors import ServiceError
from ..models import (
    Argument,
    ArgumentUpvote,
    Debate,
    Participant,
    Poll,
)
from ..permissions import require_moderator
from .common import _log, _require_open_for_citizens, announce
from .participants import HotOutcome, _group, _open_for_citizens
from .questions import Upvote, _first_upvotes
from .text import _clean_text, matched_words


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
        Argument.objects.filter(pk__in={r.argument_id for r in rows}).update(version=F("version") + 1)
        for debate_id, argument_ids in _group({(arguments[r.argument_id].poll.debate_id, r.argument_id)
                                               for r in rows}).items():
            announce(debate_id, {f"an:{aid}" for aid in argument_ids}, hot=True)
    return outcome


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
        # A visible argument is one insert for citizens; a held one waits in the console's queue.
        announce(debate.pk, {"queue"} if flagged else {f"a+:{arg.pk}"})
    return arg


def argument_upvote(*, argument: Argument, participant: Participant) -> Argument:
    debate = argument.poll.debate
    _require_open_for_citizens(debate, None)
    if argument.status != Argument.Status.VISIBLE:
        raise ServiceError(_("This argument cannot be supported."), status=409)
    try:
        with transaction.atomic():
            ArgumentUpvote.objects.create(argument=argument, participant=participant)
            Argument.objects.filter(pk=argument.pk).update(version=F("version") + 1)
    except IntegrityError:
        raise ServiceError(_("You already support this argument."), status=409) from None
    announce(debate.pk, {f"an:{argument.pk}"}, hot=True)
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
        arg.version += 1
        arg.save(update_fields=["status", "version"])
        _log(debate, actor, f"argument_{status}", arg, before, {"status": status})
        item = f"a+:{arg.pk}" if status == Argument.Status.VISIBLE else f"a:{arg.pk}"
        announce(debate.pk, {item, f"args:{arg.poll_id}", "queue", "log"})
    return arg
