"""The vote view's burst-proof twin, served on the event loop by hub.hot_path (same URL as views.vote).

It answers only what it fully serves — an htmx vote that services.vote_cast_many accepted — and returns None for
everything else (a plain form post, a malformed option, a closed poll, an unknown debate…), which hub.hot_path
replays through views.vote: refusals keep the ordinary view's status codes and wording.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language

from hub.hot_path import GroupCommit

from . import services, views
from .selectors import SESSION_KEY

ballots = GroupCommit(services.vote_cast_many)
_flash_cache: dict[str, str] = {}  # language → the success line (it depends on nothing else)


async def vote(request: HttpRequest, code: str, poll_id: int) -> HttpResponse | None:
    if not views.is_htmx(request):
        return None  # a plain form post answers with a redirect and a flash message: views.vote does that
    try:
        option_id = int(request.POST.get("option", ""))
    except ValueError:
        return None
    mapping = request.session.get(SESSION_KEY, {})
    try:
        stored = await ballots.submit(services.Ballot(code=code, poll_id=poll_id, option_id=option_id,
                                                      session_participants=dict(mapping)))
    except Exception:
        return None  # the batch's transaction rolled back: nothing of this vote is stored; views.vote retries it
    if stored is None:
        return None
    debate_id, participant_id = stored
    if mapping.get(str(debate_id)) != participant_id:  # a newcomer: remember them, as views.vote would
        request.session[SESSION_KEY] = {**mapping, str(debate_id): participant_id}
    language = get_language()
    html = _flash_cache.get(language)
    if html is None:
        html = _flash_cache[language] = views.flash_html(request, str(views.VOTE_RECORDED), ok=True)
    return HttpResponse(html)


HOT_VIEWS = {views.vote: vote}
