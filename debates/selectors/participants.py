"""A citizen's identity (session, live token) and their own state: votes, upvotes, the fate of their questions."""

from __future__ import annotations

import hashlib
import json
from importlib import import_module
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends import signed_cookies
from django.core import signing
from django.http import HttpRequest
from django.utils.translation import gettext_lazy

from ..models import (
    Debate,
    Participant,
    Question,
)
from .questions import _answers_prefetch

SESSION_KEY = "participants"  # session[SESSION_KEY][str(debate_id)] = participant id


def session_participants(entries: Iterable[tuple[Mapping[str, int], Debate]]) -> list[Participant | None]:
    """Per (session mapping, debate), the participant that session holds in that debate, if it is still one of
    that debate's (one query for all). Creating the missing ones is services.participants_for_sessions."""
    entries = list(entries)
    claimed = {pid for mapping, debate in entries if (pid := mapping.get(str(debate.pk)))}
    found = {p.pk: p for p in Participant.objects.filter(pk__in=claimed)} if claimed else {}
    resolved: list[Participant | None] = []
    for mapping, debate in entries:
        participant = found.get(mapping.get(str(debate.pk)))  # type: ignore[arg-type]
        resolved.append(participant if participant is not None and participant.debate_id == debate.pk else None)
    return resolved


def participant_for_request(request: HttpRequest, debate: Debate) -> Participant | None:
    """The citizen behind this browser session in this debate, if they are one; the identity never comes from a
    form field. (A write that makes them one: services.participant_for_request.)"""
    return session_participants([(request.session.get(SESSION_KEY, {}), debate)])[0]


def participant_for_client_key(debate: Debate, key: str | None) -> Participant | None:
    """The participant this browser's client key made in this debate (a first write sent over the page's socket,
    where no session cookie can be set), if any."""
    if not key:
        return None
    return Participant.objects.filter(debate=debate, client_key=key).first()


LIVE_TOKEN_SALT = "debates.live-token"


def live_token(participant: Participant) -> str:
    """What a citizen's page sends over its websocket to be told when their own state changes (live.publish.nudge),
    and to vote, upvote and support over it (debates.views_hot.socket_write). Signed: a page can only name the
    participant its session (or its client key, over the socket) is."""
    return live_token_for(participant.debate_id, participant.pk)


def live_token_for(debate_id: int, participant_id: int) -> str:
    return signing.Signer(salt=LIVE_TOKEN_SALT).sign_object([debate_id, participant_id])


def live_ref(token: str) -> str:
    """Names a live_token without being it (a digest): what pages carry, so a page knows when its participant
    changed and fetches the new token from …/me (the token itself is never in a compressed response)."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def participant_for_session_cookie(cookie: str, debate_id: int) -> tuple[int, str] | None:
    """The participant a session cookie (a socket's handshake) holds in this debate, with their live_ref; None for
    none, or under a session engine whose load would do I/O (only signed-cookie sessions are read here: this runs
    on the event loop, once per socket). As trustworthy as the live_token: both are signed by the server."""
    engine = import_module(settings.SESSION_ENGINE)
    if not issubclass(engine.SessionStore, signed_cookies.SessionStore) or not cookie:
        return None
    mapping = engine.SessionStore(session_key=cookie).load().get(SESSION_KEY, {})
    participant_id = mapping.get(str(debate_id)) if isinstance(mapping, dict) else None
    if type(participant_id) is not int:
        return None
    return participant_id, live_ref(live_token_for(debate_id, participant_id))


def participant_for_live_token(token: Any, debate_id: int) -> int | None:
    """The participant a live_token names, if it is genuine and for this debate."""
    try:
        token_debate, participant_id = signing.Signer(salt=LIVE_TOKEN_SALT).unsign_object(str(token or ""))
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return participant_id if token_debate == debate_id and isinstance(participant_id, int) else None


def participant_state(participant: Participant | None) -> dict[str, Any]:
    """What this citizen did: shown on their page only, never broadcast."""
    if participant is None:
        return {"votes": {}, "upvoted": [], "supported": [], "name": "", "muted": False, "mine": []}
    return {
        "live_token": (token := live_token(participant)),
        "live_ref": live_ref(token),
        "votes": {str(p): o for p, o in participant.votes.values_list("poll_id", "option_id")},
        "upvoted": list(participant.question_upvotes.values_list("question_id", flat=True)),
        "supported": list(participant.argument_upvotes.values_list("argument_id", flat=True)),
        "name": participant.display_name,
        "muted": participant.muted,
        "mine": [
            _my_question(q)
            for q in participant.questions.select_related("merged_into")
            .prefetch_related(_answers_prefetch())
            .order_by("-created_at", "-id")[:MY_QUESTIONS]
        ],
    }


MY_QUESTIONS = 30

# What became of a citizen's question, in the reader's language (read now, never the language of whoever acted:
# a merge stored its French reason while an English page showed it).
FATE_LABELS = {
    "pending": gettext_lazy("Awaiting moderation"),
    "published": gettext_lazy("Published"),
    "answered": gettext_lazy("Answered"),
    "rejected": gettext_lazy("Not published"),
    "merged": gettext_lazy("Merged into a similar question"),
}


def _my_question(q: Question) -> dict[str, Any]:
    if q.merged_into_id:
        fate = "merged"
    else:
        fates: dict[str, str] = {
            Question.Status.PENDING: "pending",
            Question.Status.APPROVED: "published",
            Question.Status.ANSWERED: "answered",
        }
        fate = fates.get(q.status, "rejected")
    entry: dict[str, Any] = {
        "id": q.pk,
        "text": q.text,
        "status": q.status,
        "fate": fate,
        "status_label": str(FATE_LABELS[fate]),
        # A moderator's reason is theirs, shown as written; a merge has no reason of its own but the kept question.
        "reason": q.rejection_reason if fate == "rejected" else "",
        "answers": [a.text for a in q.answers.all()],
    }
    if fate == "merged" and q.merged_into is not None:
        entry["merged_into"] = {"id": q.merged_into_id, "text": q.merged_into.text}
    return entry


def participant_identity_state(participant: Participant | None) -> dict[str, Any]:
    """participant_state without what this citizen did (pages that show none of it: the proposals): who they are
    (the live_ref their page's socket identifies itself by), in the same shape, read without a query."""
    state = participant_state(None)
    if participant is not None:
        state["live_ref"] = live_ref(live_token(participant))
    return state


def participant_state_json(participant: Participant | None, *, state: dict[str, Any] | None = None) -> str:
    """participant_state (or the given, already read state) as JSON safe to place inside a <script> element, without
    the live_token: pages and htmx answers are compressed (debates/breach.py); the page fetches it from …/me."""
    state = participant_state(participant) if state is None else state
    raw = json.dumps({k: v for k, v in state.items() if k != "live_token"}, ensure_ascii=False)
    return raw.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
