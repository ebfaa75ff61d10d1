"""Arguments for and against a proposition: posting, supporting (one by one and in bursts), hiding."""

from __future__ import annotations

from typing import Any

from django.db import transaction
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
from ..permissions import _forbidden, require_moderator
from .common import _log, _require_open_for_citizens, announce
from .participants import Outcome, _group, citizen_debate, one, session_mapping_for, share_debate_objects
from .upvotes import Upvote, _first_upvotes, _judged
from .. import limits
from .text import _clean_text, matched_words


def argument_upvote_many(supports: list[Upvote]) -> list[Outcome]:
    """Supports of arguments, a burst of them or one (argument_upvote); a second support of one argument by one
    participant is refused."""
    arguments = {
        a.pk: a for a in Argument.objects.select_related("poll__debate").filter(pk__in={s.target_id for s in supports})
    }
    share_debate_objects(arguments.values(), "poll__debate")

    def judge(s: Upvote) -> Debate | ServiceError:
        argument = arguments.get(s.target_id)
        debate = citizen_debate(argument.poll.debate if argument is not None else None, s.code)
        if isinstance(debate, Debate) and argument is not None and argument.status != Argument.Status.VISIBLE:
            return ServiceError(_("This argument cannot be supported."), status=409)
        return debate

    outcome, accepted = _judged(supports, judge)
    if not accepted:
        return outcome
    with transaction.atomic():
        rows = _first_upvotes(
            ArgumentUpvote,
            "argument_id",
            accepted,
            outcome,
            ServiceError(_("You already support this argument."), status=409),
        )
        added: dict[int, int] = {}
        for row in rows:
            added[row.argument_id] = added.get(row.argument_id, 0) + 1
        for argument_id, n in sorted(added.items()):  # one lock order across processes
            Argument.objects.filter(pk=argument_id).update(
                support_count=F("support_count") + n, version=F("version") + 1
            )
        for debate_id, argument_ids in _group(
            {(arguments[r.argument_id].poll.debate_id, r.argument_id) for r in rows}
        ).items():
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
    limits.enforce("argument", participant.pk, _("You have posted several arguments in a row: please wait a minute."))
    flagged = matched_words(debate, text)
    with transaction.atomic():
        arg = Argument.objects.create(
            poll=poll,
            author=participant,
            side=side,
            text=text,
            status=Argument.Status.HELD if flagged else Argument.Status.VISIBLE,
            flagged_words=", ".join(flagged)[:300],
        )
        # A visible argument is one insert for citizens; a held one waits in the console's queue.
        announce(debate.pk, {"queue"} if flagged else {f"a+:{arg.pk}"})
    return arg


def argument_upvote(*, argument: Argument, participant: Participant) -> Argument:
    """One support per participant per argument (database constraint), of a visible argument."""
    debate = Debate.objects.get(pk=argument.poll.debate_id)  # judge on stored state
    if participant.debate_id != debate.pk:
        raise _forbidden()
    _require_open_for_citizens(debate, None)
    outcome = one(argument_upvote_many, Upvote(debate.code, argument.pk, session_mapping_for(participant)))
    if isinstance(outcome, ServiceError):
        raise outcome
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
