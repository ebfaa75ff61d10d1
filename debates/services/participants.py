"""Citizens in a debate: joining, names, muting; who a request is; and what bursts of citizen writes share."""

from __future__ import annotations

import re
from datetime import timedelta
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.http import HttpRequest
from django.utils.translation import gettext as _

from ..errors import ServiceError
from ..models import (
    Debate,
    Participant,
)
from .. import selectors
from ..permissions import require_moderator
from .common import _log, announce, citizen_refusal, nudge
from .. import codes, limits
from .text import clean_line

T = TypeVar("T")


def participant_join(*, debate: Debate, display_name: str = "") -> Participant:
    return Participant.objects.create(debate=debate, display_name=clean_line(display_name, 60))


def participant_recovery_code(*, participant: Participant) -> str:
    """A new recovery code for this participant, returned in clear this once (only its keyed hash is kept): typed
    on another device, it takes their participation there. The previous code stops working."""
    code = codes.new_code()
    participant.recovery_digest = codes.digest(code, purpose="recovery")
    Participant.objects.filter(pk=participant.pk).update(recovery_digest=participant.recovery_digest)
    return code


def participant_recover(*, debate: Debate, typed: str, client: str) -> Participant:
    """The participant of this debate whose recovery code was typed. Wrong codes are counted per address and debate
    (limits "recovery_guess") and refused for a while past the limit: 2^50 codes are not guessed at that pace."""
    key = f"{debate.pk}:{client}"
    limits.refuse_while_over(
        "recovery_guess",
        key,
        _("Too many wrong recovery codes from this connection. Try again in a quarter of an hour."),
    )
    code = codes.normalise(typed)
    found = (
        Participant.objects.filter(debate=debate, recovery_digest=codes.digest(code, purpose="recovery")).first()
        if code
        else None
    )
    if found is None:
        limits.count("recovery_guess", key)
        raise ServiceError(_("This recovery code is not valid for this debate. Check it and try again."), status=400)
    return found


def participant_rename(*, participant: Participant, display_name: str) -> Participant:
    name = clean_line(display_name)
    if len(name) > 60:
        raise ServiceError(_("Your name is too long (60 characters at most)."))
    if not name and not participant.debate.allow_anonymous:
        raise ServiceError(_("This debate asks participants for a name."))
    if name == participant.display_name:
        return participant
    limits.enforce("rename", participant.pk, _("You have changed your name several times: please wait a minute."))
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
        _log(
            debate,
            actor,
            "participant_muted" if muted else "participant_unmuted",
            participant,
            before,
            {"muted": muted, "name": str(participant.public_name)},
        )  # a lazy "Anonymous citizen" is not JSON
        announce(debate.pk, {"queue", "log"})
        nudge(debate.pk, [participant.pk])
    return participant


# Citizen writes that come in bursts (votes, upvotes, supports) have one implementation each, `*_many`, which the
# hot path (hub/hot_path.py) calls for a whole burst and the ordinary view for one request (`one`). Each returns,
# per request, where the write was stored (`Stored`) or the refusal (a ServiceError: its message and status) and
# writes nothing for a refused request. A status of 404 means "not in this debate": views answer it with their
# 404 page. The participant behind each request is the one its session holds in the debate, or a new one.
class Stored(NamedTuple):
    debate_id: int
    participant_id: int


Outcome = Stored | ServiceError
NOT_FOUND = 404


def not_found() -> ServiceError:
    return ServiceError("not found", status=NOT_FOUND)


def one(work: Callable[[list[T]], list[Outcome]], item: T) -> Outcome:
    """A `*_many` function for one request. A concurrent write of the same row (a double click through two
    processes) rolls the attempt back; the next attempt sees that row and answers as the rules say."""
    for attempt in range(3):
        try:
            return work([item])[0]
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def citizen_debate(debate: Debate | None, code: str) -> Debate | ServiceError:
    """The debate a citizen's request names by its code, if it is the one its target belongs to and the public
    may see it; else the refusal (not found, or the debate is not open to citizens' posts)."""
    if debate is None or debate.code != (code or "").upper() or debate.status == Debate.Status.DRAFT:
        return not_found()
    return citizen_refusal(debate, memo=True) or debate


def share_debate_objects(targets: Iterable[Any], path: str = "debate") -> None:
    """Make the targets of one batch (rows read with `select_related(path)`) hold one Debate object per debate.
    The rules' memos (citizen_refusal, dates_refusal) are kept on the Debate object, and select_related gives each
    row its own: a burst over ten proposals read the consultation's dates and phases ten times, not once."""
    *parents, last = path.split("__")
    shared: dict[int, Debate] = {}
    for target in targets:
        for name in parents:
            target = getattr(target, name)
        debate = getattr(target, last)
        setattr(target, last, shared.setdefault(debate.pk, debate))


# (session mapping, debate, the browser's client key); without the key for a caller with no request behind it
Entry = tuple[Mapping[str, int], Debate, "str | None"] | tuple[Mapping[str, int], Debate]
CLIENT_KEY_HEADER = "X-Client-Key"
_CLIENT_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")


CLIENT_KEY_COOKIE = "client_key"


def client_key(request: HttpRequest) -> str | None:
    """The random key the citizen's browser sends with its writes and keeps in a cookie (static/js/live.js), if
    well formed."""
    return valid_client_key(request.headers.get(CLIENT_KEY_HEADER, "")) or valid_client_key(
        request.COOKIES.get(CLIENT_KEY_COOKIE, "")
    )


def valid_client_key(key: Any) -> str | None:
    """A client key as sent (a header, a socket frame), if well formed."""
    return key if isinstance(key, str) and _CLIENT_KEY.fullmatch(key) else None


def participants_for_sessions(entries: list[Entry]) -> list[Participant]:
    """Per (session mapping, debate, client key), the participant that session holds in that debate (selectors);
    where it holds none, the one this browser's client key already made in that debate (a first write retried
    after its answer was lost), else a new one (created in bulk, with the key). Call inside the write's
    transaction; a concurrent creation with the same key fails on the unique constraint and the caller retries."""
    keyed = [(e[0], e[1], e[2] if len(e) > 2 else None) for e in entries]
    found = selectors.session_participants([(mapping, debate) for mapping, debate, _key in keyed])
    wanted = {(debate.pk, key) for (_m, debate, key), p in zip(keyed, found) if p is None and key}
    known: dict[tuple[int, str | None], Participant] = {}
    if wanted:
        rows = Participant.objects.filter(debate_id__in={d for d, _k in wanted}, client_key__in={k for _d, k in wanted})
        known = {(p.debate_id, p.client_key): p for p in rows}
    newcomers: list[Participant] = []
    resolved: list[Participant] = []
    for (_m, debate, key), participant in zip(keyed, found):
        if participant is None and key:
            participant = known.get((debate.pk, key))
            if participant is None:  # two writes of one newcomer in one burst make one participant
                participant = known[(debate.pk, key)] = Participant(debate=debate, client_key=key)
                newcomers.append(participant)
        elif participant is None:
            participant = Participant(debate=debate)
            newcomers.append(participant)
        resolved.append(participant)
    if newcomers:
        Participant.objects.bulk_create(newcomers)
    return resolved


def participant_for_request(request: HttpRequest, debate: Debate) -> Participant:
    """The citizen behind this browser session in this debate, made a participant if they are not one yet (and
    remembered in their session). The identity never comes from a form field."""
    mapping = request.session.get(selectors.SESSION_KEY, {})
    participant = participants_for_sessions([(mapping, debate, client_key(request))])[0]
    remember_participant(request, participant)
    return participant


def participant_known_to_browser(request: HttpRequest, debate: Debate) -> Participant | None:
    """The participant this browser is in this debate without making one: the one its session holds, else the one
    its client key made (a first write sent over the page's socket, which sets no cookie), then remembered in
    the session. A session that holds someone else (a recovery or a voter code) keeps them."""
    participant = selectors.participant_for_request(request, debate)
    if participant is None:
        participant = selectors.participant_for_client_key(debate, client_key(request))
        if participant is not None:
            remember_participant(request, participant)
            keep_participation(request, debate)
    return participant


def remember_participant(request: HttpRequest, participant: Participant | Stored) -> None:
    debate_id = participant.debate_id
    participant_id = participant.pk if isinstance(participant, Participant) else participant.participant_id
    mapping = request.session.get(selectors.SESSION_KEY, {})
    if mapping.get(str(debate_id)) != participant_id:
        request.session[selectors.SESSION_KEY] = {**mapping, str(debate_id): participant_id}


KEEP_AFTER_CLOSE = timedelta(days=30)  # a consultation's participants can still read its results as themselves


def keep_participation(request: HttpRequest, debate: Debate) -> None:
    """A participant of a consultation with a closing date keeps their session cookie until a month after the close,
    not only SESSION_COOKIE_AGE (30 days): their participation in a three-month consultation must not end after one.
    Never shortens a session, never touches a staff session (its own age is checked on the server)."""
    if not isinstance(request.session.get(selectors.SESSION_KEY, {}).get(str(debate.pk)), int):
        return
    current = request.session.get("_session_expiry")
    if isinstance(current, int):  # a staff sign-in (debates.staff_sessions)
        return
    from ..selectors_consult import consultation_of

    consultation = consultation_of(debate)
    closes_at = consultation.closes_at if consultation else None
    if closes_at is None:
        return
    now = timezone.now()
    until = min(closes_at + KEEP_AFTER_CLOSE, now + timedelta(seconds=settings.SESSION_MAX_AGE))
    if until <= now + timedelta(seconds=settings.SESSION_COOKIE_AGE):
        return  # the ordinary cookie lasts long enough
    if isinstance(current, str) and current >= until.isoformat():
        return
    request.session.set_expiry(until)


def session_mapping_for(participant: Participant) -> dict[str, int]:
    """The session mapping of a known participant (services called with one, outside any request)."""
    return {str(participant.debate_id): participant.pk}


def _group(pairs: Iterable[tuple[int, int]]) -> dict[int, set[int]]:
    grouped: dict[int, set[int]] = {}
    for key, value in pairs:
        grouped.setdefault(key, set()).add(value)
    return grouped
