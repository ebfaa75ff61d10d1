"""The hot citizen views (vote, upvote, support) served on the event loop by hub.hot_path at the same URLs, their
writes group-committed: the same services.*_many function as the ordinary views (debates.views), for a burst.

A handler answers what it can (an accepted write, and a refusal with the view's own words and status) and returns
None for what only the ordinary view does (a plain form post, a target not in this debate: the 404 page), which
hub.hot_path replays through Django.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from channels.db import database_sync_to_async
from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils import translation
from django.utils.translation import get_language

from . import limits, selectors, services, views, views_consult, views_writes

# The writes each kind of hot request batches. The wiring (hub.asgi) gives each its group commit (hub.hot_path
# .GroupCommit), so the domain never imports the wiring: `install(GroupCommit)` sets the ones below.
BATCHED: dict[str, Callable[[list[Any]], list[Any]]] = {
    "ballots": services.vote_cast_many,
    "question_upvotes": services.question_upvote_many,
    "argument_supports": services.argument_upvote_many,
    "proposal_supports": services.proposal_support_many,
    # Not a write: newcomers' addresses counted against the participants-per-address limit, a batch per round trip
    # (a hall's first votes are mostly newcomers: one thread hop and one Redis call each cost 0.25 ms of CPU a vote).
    "newcomers": views_writes.newcomers_within_limit,
}
ballots: Any = None
question_upvotes: Any = None
argument_supports: Any = None
proposal_supports: Any = None
newcomers: Any = None
# (message, language) → the flash line, success or refusal (it depends on nothing else); emptied when full
_flash_cache: dict[tuple[str, str], str] = {}
_refusal_cache: dict[tuple[str, str], str] = {}


def _flash(message: Any, ok: bool) -> str:
    """The flash line of a hot write's answer in the active language, rendered once per message and language."""
    key = (str(message), get_language() or "")
    cache = _flash_cache if ok else _refusal_cache
    html = cache.get(key)
    if html is None:
        if len(cache) > 1000:
            cache.clear()
        html = cache[key] = views.flash_html(None, key[0], ok=ok)
    return html


async def vote(request: HttpRequest, code: str, poll_id: int) -> HttpResponse | None:
    return await _serve(
        request, code, ballots, views_writes.VOTE_RECORDED, views_writes.ballot_for(request, code, poll_id)
    )


async def upvote(request: HttpRequest, code: str, question_id: int) -> HttpResponse | None:
    return await _serve(
        request,
        code,
        question_upvotes,
        views_writes.UPVOTE_COUNTED,
        views_writes.upvote_for(request, code, question_id),
    )


async def support(request: HttpRequest, code: str, argument_id: int) -> HttpResponse | None:
    return await _serve(
        request,
        code,
        argument_supports,
        views_writes.SUPPORT_COUNTED,
        views_writes.upvote_for(request, code, argument_id),
    )


async def proposal_support(request: HttpRequest, code: str, proposal_id: int) -> HttpResponse | None:
    return await _serve(
        request,
        code,
        proposal_supports,
        views_consult.PROPOSAL_SUPPORTED,
        views_writes.upvote_for(request, code, proposal_id),
    )


def _refusal(request: HttpRequest, code: str, refusal: services.ServiceError) -> HttpResponse:
    return views_writes.refusal_response(request, selectors.debate_for_code(code), refusal)


_debate_ids: dict[str, int] = {}  # join code → debate id (a debate's code never names another debate)


# A refusal renders in a thread (templates, translations); made once, not per request.
_refuse: Callable[..., Awaitable[HttpResponse]] = database_sync_to_async(_refusal, thread_sensitive=False)


async def _debate_id(code: str) -> int | None:
    code = code.upper()
    found = _debate_ids.get(code)
    if found is None:
        found = await database_sync_to_async(selectors.debate_id_for_code, thread_sensitive=False)(code)
        if found is not None:
            if len(_debate_ids) > 10_000:
                _debate_ids.clear()
            _debate_ids[code] = found
    return found


async def _serve(
    request: HttpRequest,
    code: str,
    batch: Any,
    message: Promise,
    item: Any,
) -> HttpResponse | None:
    if not views.is_htmx(request):
        return None  # a plain form post answers with a redirect and a flash message: the ordinary view does that
    debate_id = await _debate_id(code)
    if debate_id is None:
        return None  # the view's 404 page
    if views_writes.is_newcomer(request, debate_id) and not await newcomers.submit(limits.client_address(request)):
        return await _refuse(request, code, views_writes.newcomer_refusal())
    try:
        outcome = await batch.submit(item)
    except Exception:
        return None  # the batch's transaction rolled back: nothing of this request is stored; the view retries it
    if isinstance(outcome, services.ServiceError):
        if outcome.status == services.NOT_FOUND:
            return None  # the view's 404 page
        return await _refuse(request, code, outcome)
    services.remember_participant(request, outcome)  # a newcomer: remember them, as the view does
    return HttpResponse(_flash(message, True))


# Over the citizen page's websocket (live.consumers → live.registry.write): the same batches, no HTTP request.
SOCKET_WRITES: dict[str, tuple[str, Promise]] = {
    "vote": ("ballots", views_writes.VOTE_RECORDED),
    "upvote": ("question_upvotes", views_writes.UPVOTE_COUNTED),
    "support": ("argument_supports", views_writes.SUPPORT_COUNTED),
    "proposal_support": ("proposal_supports", views_consult.PROPOSAL_SUPPORTED),
}
RETRY_OVER_HTTP: dict[str, Any] = {"retry": True}


def _in(language: str, message: Any, ok: bool) -> str:
    """_flash in the socket's language (a socket's write runs in no request's language)."""
    with translation.override(language):
        return _flash(message, ok)


async def socket_write(
    *,
    debate_id: int,
    code: str,
    participant_id: int | None,
    client_key: Any,
    action: Any,
    target: Any,
    option: Any,
    address: str,
    language: str,
) -> dict[str, Any] | None:
    """A vote, upvote or support sent over the citizen page's socket, by the participant the socket was identified
    as (its live_token) or, on a socket not identified yet, by the browser's client key (a newcomer, or the
    participant that key already made here). The answer: {"status", "html"} (the flash line the HTTP view answers
    with), plus {"participant", "token", "ref"} when the write made the socket someone; {"retry": True} when only
    the HTTP view can answer (not in this debate, no key, the batch failed: nothing was stored); None for a frame
    that names no write (refused like any bad frame)."""
    spec = SOCKET_WRITES.get(action) if isinstance(action, str) else None
    target_id = selectors.parse_id(target) if not isinstance(target, bool) else None
    if spec is None or target_id is None:
        return None
    batch = globals()[spec[0]]
    if batch is None:  # hot writes are off in this process (HOT_PATH=0): the view does it
        return RETRY_OVER_HTTP
    if participant_id is not None:
        mapping, key = {str(debate_id): participant_id}, None
    else:
        key = services.valid_client_key(client_key)
        if key is None:
            return RETRY_OVER_HTTP  # the session alone knows who this is
        mapping = {}
        if not await newcomers.submit(address):
            return {"status": 429, "html": _in(language, views_writes.newcomer_refusal().message, False)}
    if action == "vote":
        item: Any = services.Ballot(code, target_id, selectors.parse_id(option), mapping, key)
    else:
        item = services.Upvote(code, target_id, mapping, key)
    try:
        outcome = await batch.submit(item)
    except Exception:
        return RETRY_OVER_HTTP  # the batch's transaction rolled back: nothing of this write is stored
    if isinstance(outcome, services.ServiceError):
        if outcome.status == services.NOT_FOUND:
            return RETRY_OVER_HTTP  # the view's 404
        return {"status": outcome.status, "html": _in(language, outcome.message, False)}
    answer: dict[str, Any] = {"status": 200, "html": _in(language, spec[1], True)}
    if participant_id is None:
        token = selectors.live_token_for(outcome.debate_id, outcome.participant_id)
        answer.update(participant=outcome.participant_id, token=token, ref=selectors.live_ref(token))
    return answer


HOT_VIEWS: dict[Callable[..., Any], Callable[..., Awaitable[HttpResponse | None]]] = {
    views_writes.vote: vote,
    views_writes.upvote: upvote,
    views_writes.support: support,
    views_consult.proposal_support: proposal_support,
}


def install(batcher: Callable[[Callable[[list[Any]], list[Any]]], Any]) -> None:
    """Give each batched write its batcher (an object with `async submit(item)`), once per process."""
    for name, work in BATCHED.items():
        globals()[name] = batcher(work)
