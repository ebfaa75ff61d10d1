"""Burst-proof twins of the hot citizen views (vote, upvote, support), served on the event loop by hub.hot_path at
the same URLs.

Each answers only what it fully serves — an htmx request that its services.*_many function accepted — and returns
None for everything else (a plain form post, a malformed option, a closed poll, a second upvote…), which
hub.hot_path replays through the ordinary view: refusals keep its status codes and wording.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.functional import Promise
from django.utils.translation import get_language

from hub.hot_path import GroupCommit

from . import services, views, views_consult
from .selectors import SESSION_KEY

ballots = GroupCommit(services.vote_cast_many)
question_upvotes = GroupCommit(services.question_upvote_many)
argument_supports = GroupCommit(services.argument_upvote_many)
proposal_supports = GroupCommit(services.proposal_support_many)
_flash_cache: dict[tuple[str, str], str] = {}  # (message, language) → the success line (it depends on nothing else)


async def vote(request: HttpRequest, code: str, poll_id: int) -> HttpResponse | None:
    try:
        option_id = int(request.POST.get("option", ""))
    except ValueError:
        return None
    return await _serve(request, ballots, views.VOTE_RECORDED,
                        lambda session: services.Ballot(code, poll_id, option_id, session))


async def upvote(request: HttpRequest, code: str, question_id: int) -> HttpResponse | None:
    return await _serve(request, question_upvotes, views.UPVOTE_COUNTED,
                        lambda session: services.Upvote(code, question_id, session))


async def support(request: HttpRequest, code: str, argument_id: int) -> HttpResponse | None:
    return await _serve(request, argument_supports, views.SUPPORT_COUNTED,
                        lambda session: services.Upvote(code, argument_id, session))


async def proposal_support(request: HttpRequest, code: str, proposal_id: int) -> HttpResponse | None:
    return await _serve(request, proposal_supports, views_consult.PROPOSAL_SUPPORTED,
                        lambda session: services.Upvote(code, proposal_id, session))


async def _serve(request: HttpRequest, batch: GroupCommit, message: Promise,
                 item_for: Callable[[dict[str, int]], Any]) -> HttpResponse | None:
    if not views.is_htmx(request):
        return None  # a plain form post answers with a redirect and a flash message: the ordinary view does that
    mapping = request.session.get(SESSION_KEY, {})
    try:
        stored = await batch.submit(item_for(dict(mapping)))
    except Exception:
        return None  # the batch's transaction rolled back: nothing of this request is stored; the view retries it
    if stored is None:
        return None
    debate_id, participant_id = stored
    if mapping.get(str(debate_id)) != participant_id:  # a newcomer: remember them, as the view would
        request.session[SESSION_KEY] = {**mapping, str(debate_id): participant_id}
    key = (str(message), get_language())
    html = _flash_cache.get(key)
    if html is None:
        html = _flash_cache[key] = views.flash_html(request, key[0], ok=True)
    return HttpResponse(html)


HOT_VIEWS = {views.vote: vote, views.upvote: upvote, views.support: support,
             views_consult.proposal_support: proposal_support}
