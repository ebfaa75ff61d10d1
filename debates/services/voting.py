"""Voter codes and binding votes: generating, revoking and entering codes; a poll's rules (binding, secret) set
before it opens; votes that need a code; declaring a closed poll's result with its tally frozen and hashed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _


from .. import codes, limits
from ..errors import ServiceError
from ..models import Debate, Participant, Poll, PollOption, Vote
from ..models_consult import CodeUse, Consultation, PollRules, ResultDeclaration, SecretBallot, VoterCode
from ..permissions import require_moderator
from .common import _log, announce

MAX_CODES_PER_BATCH = 5000


def voter_codes_generate(*, debate: Debate, actor: Any, count: int) -> list[str]:
    """Issue `count` new codes and return them: the only time they exist in clear (the caller shows them once)."""
    require_moderator(debate, actor)
    if not 1 <= count <= MAX_CODES_PER_BATCH:
        raise ServiceError(_("Generate between 1 and %(n)d codes at a time.") % {"n": MAX_CODES_PER_BATCH})
    with transaction.atomic():
        batch = (
            VoterCode.objects.filter(debate=debate).order_by("-batch").values_list("batch", flat=True).first() or 0
        ) + 1
        issued: list[str] = []
        while len(issued) < count:  # a collision (one in 2^50 per pair) is simply drawn again
            fresh = [codes.new_code() for _ in range(count - len(issued))]
            taken = set(
                VoterCode.objects.filter(digest__in=[codes.digest(c) for c in fresh]).values_list("digest", flat=True)
            )
            issued += [c for c in dict.fromkeys(fresh) if codes.digest(c) not in taken]
        VoterCode.objects.bulk_create(VoterCode(debate=debate, digest=codes.digest(c), batch=batch) for c in issued)
        _log(debate, actor, "voter_codes_generated", debate, {}, {"count": count, "batch": batch})
    return issued


def voter_code_revoke(*, debate: Debate, actor: Any, typed: str) -> VoterCode:
    """Revoke a code (lost, handed to the wrong person): it can no longer be entered nor vote. Votes it already
    cast stay counted (a secret ballot cannot be found to be removed)."""
    require_moderator(debate, actor)
    code = codes.normalise(typed)
    found = VoterCode.objects.filter(debate=debate, digest=codes.digest(code)).first() if code else None
    if found is None:
        raise ServiceError(_("No code of this debate matches."), status=404)
    with transaction.atomic():
        if found.revoked_at is not None:
            raise ServiceError(_("This code is already revoked."), status=409)
        found.revoked_at = timezone.now()
        found.save(update_fields=["revoked_at"])
        _log(debate, actor, "voter_code_revoked", found, {}, {"batch": found.batch})
    return found


def voter_code_enter(*, debate: Debate, participant: Participant | None, typed: str, client: str) -> Participant:
    """A citizen enters their code. Returns the participant this browser is from now on: the code's participant if
    it was entered before (on any device), else the browser's own (or a new one), now bound to the code.
    Wrong codes are counted per client (address) and debate (limits "voter_code_guess", shared by every process),
    and refused for a while past the limit."""
    key = f"{debate.pk}:{client}"
    limits.refuse_while_over(
        "voter_code_guess", key, _("Too many wrong codes from this connection. Try again in a quarter of an hour.")
    )
    code = codes.normalise(typed)
    found = VoterCode.objects.filter(debate=debate, digest=codes.digest(code)).first() if code else None
    if found is None or found.revoked_at is not None:
        limits.count("voter_code_guess", key)
        if found is not None:
            raise ServiceError(_("This code was revoked by the organisers."), status=403)
        raise ServiceError(_("This code is not valid for this debate. Check it and try again."), status=400)
    if found.participant is not None:
        return found.participant
    with transaction.atomic():
        if (
            participant is None
            or participant.debate_id != debate.pk
            or VoterCode.objects.filter(participant=participant).exists()
        ):
            participant = Participant.objects.create(debate=debate)
        claimed = VoterCode.objects.filter(pk=found.pk, participant__isnull=True).update(
            participant=participant, claimed_at=timezone.now()
        )
    if not claimed:  # entered at the same moment on another device: that one holds it
        holder = VoterCode.objects.select_related("participant").get(pk=found.pk).participant
        assert holder is not None  # the conditional update failed only because a participant was set
        return holder
    return participant


def poll_set_rules(*, poll: Poll, actor: Any, binding: bool, secret: bool) -> PollRules:
    """Declare a poll binding (codes required) and/or secret, before it opens: rules never change under voters."""
    debate = poll.debate
    require_moderator(debate, actor)
    if secret and not binding:
        raise ServiceError(_("A secret ballot needs voter codes: declare the poll binding too."))
    with transaction.atomic():
        p = Poll.objects.select_for_update().get(pk=poll.pk)
        if p.status != Poll.Status.DRAFT:
            raise ServiceError(_("A poll's rules are set before it opens."), status=409)
        rules, _created = PollRules.objects.get_or_create(poll=p)
        before = {"binding": rules.binding, "secret": rules.secret}
        rules.binding, rules.secret = binding, secret
        rules.save()
        _log(debate, actor, "poll_rules_set", p, before, {"binding": binding, "secret": secret})
        announce(debate.pk, {"polls", "log"})
    return rules


@dataclass(frozen=True)
class VoteRules:
    needs_code: bool
    secret: bool
    binding: bool


def vote_rules(poll: Poll) -> VoteRules:
    rules = PollRules.objects.filter(poll=poll).first()
    coded = Consultation.objects.filter(debate_id=poll.debate_id, vote_mode=Consultation.VoteMode.CODES).exists()
    binding = bool(rules and rules.binding)
    return VoteRules(needs_code=coded or binding, secret=bool(rules and rules.secret), binding=binding)


def polls_needing_codes(poll_ids: set[int]) -> set[int]:
    """Of these polls, those whose votes need a voter code (the hot path leaves them to the ordinary view)."""
    coded = Poll.objects.filter(pk__in=poll_ids).filter(
        Q(rules__binding=True) | Q(debate__consultation__vote_mode=Consultation.VoteMode.CODES)
    )
    return set(coded.values_list("pk", flat=True))  # one query per burst


def vote_with_code(*, poll: Poll, participant: Participant, option: PollOption, rules: VoteRules) -> Vote | None:
    """A vote on a poll that needs a code. One per (poll, code). Secret: the ballot is stored without participant
    or code, the code only marked used for the poll, and the vote cannot be changed (returns None)."""
    code = VoterCode.objects.filter(participant=participant, debate_id=poll.debate_id).first()
    if code is None:
        raise ServiceError(_("This vote needs a voter code: enter yours first."), status=403)
    if code.revoked_at is not None:
        raise ServiceError(_("This code was revoked by the organisers."), status=403)
    try:
        with transaction.atomic():
            if rules.secret:
                CodeUse.objects.create(poll=poll, code=code)
                SecretBallot.objects.create(poll=poll, option=option)
                vote = None
            else:
                CodeUse.objects.get_or_create(poll=poll, code=code)
                vote, _created = Vote.objects.update_or_create(
                    poll=poll, participant=participant, defaults={"option": option}
                )
            announce(poll.debate_id, {f"poll:{poll.pk}"}, hot=True)
    except IntegrityError:
        raise ServiceError(
            _("Your code has already voted on this secret ballot; such a vote cannot be changed."), status=409
        ) from None
    return vote


def tally_digest(tally: dict[str, Any]) -> str:
    """SHA-256 of the tally's canonical JSON (sorted keys, no spaces, UTF-8): recomputable from the export."""
    canonical = json.dumps(tally, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def poll_declare_result(*, poll: Poll, actor: Any) -> ResultDeclaration:
    """Declare a closed poll's result: its tally is frozen in the database as it stands, with who and when."""
    from ..selectors import poll_tally

    debate = poll.debate
    require_moderator(debate, actor)
    with transaction.atomic():
        p = Poll.objects.select_for_update().get(pk=poll.pk)
        if p.status != Poll.Status.CLOSED:
            raise ServiceError(_("Close the poll before declaring its result."), status=409)
        if ResultDeclaration.objects.filter(poll=p).exists():
            raise ServiceError(_("This result is already declared."), status=409)
        rules = vote_rules(p)
        counted = {o["id"]: o["count"] for o in poll_tally(p)["options"]}
        issued = VoterCode.objects.filter(debate=debate).count()
        tally = {
            "poll": p.pk,
            "text": p.text,
            "mode": "secret"
            if rules.secret
            else "binding"
            if rules.binding
            else "codes"
            if rules.needs_code
            else "open",
            "options": [
                {"id": o.pk, "label": o.label, "votes": counted.get(o.pk, 0)}
                for o in p.options.order_by("position", "id")
            ],
            "total": sum(counted.values()),
            "codes_issued": issued if rules.needs_code else None,
            "codes_used": CodeUse.objects.filter(poll=p).count() if rules.needs_code else None,
        }
        declaration = ResultDeclaration.objects.create(
            poll=p, declared_by=actor, tally=tally, tally_sha256=tally_digest(tally)
        )
        _log(debate, actor, "result_declared", p, {}, {"sha256": declaration.tally_sha256, "total": tally["total"]})
        announce(debate.pk, {"polls", "log"})
    return declaration
