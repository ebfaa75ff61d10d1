"""Citizens in a debate: joining, names, muting; and resolving the participants of a burst (hot path)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from ..errors import ServiceError
from ..models import (
    Debate,
    Participant,
)
from ..permissions import require_moderator
from .common import _log, announce, nudge
from .text import clean_line


def participant_join(*, debate: Debate, display_name: str = "") -> Participant:
    return Participant.objects.create(debate=debate, display_name=clean_line(display_name, 60))


def participant_rename(*, participant: Participant, display_name: str) -> Participant:
    name = clean_line(display_name)
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


def _group(pairs: Iterable[tuple[int, int]]) -> dict[int, set[int]]:
    grouped: dict[int, set[int]] = {}
    for key, value in pairs:
        grouped.setdefault(key, set()).add(value)
    return grouped
