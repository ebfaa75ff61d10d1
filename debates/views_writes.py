"""Citizens' writes (ask, upvote, vote, argue, support, rename) and their own state (`me`): each a plain form
post enhanced by htmx, answered with a flash message or a redirect; refusals, the newcomer limit and the
single-request side of the burst writes shared with debates/views_hot.py."""

from __future__ import annotations

import re
from typing import Any, Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_POST, require_safe

from .breach import carries_secret
from . import fragments, limits, selectors, services
from .models import Argument, Debate, Question
from .services import ServiceError
from .services.text import clean_line
from .views import citizen_context, flash_html, is_htmx

# The answers of the hot actions, shared with their burst-proof twins in views_hot.
VOTE_RECORDED = gettext_lazy("Your vote is recorded. You can change it while the poll is open.")
UPVOTE_COUNTED = gettext_lazy("Upvote counted.")
UPVOTE_WITHDRAWN = gettext_lazy("Upvote taken back.")
SUPPORT_COUNTED = gettext_lazy("Support counted.")


_ANCHOR = re.compile(r"[^a-z0-9-]")


def _citizen_action(request: HttpRequest, code: str, action: Callable[[Debate, Any], str]) -> HttpResponse:
    """Run a citizen write. action(debate, participant) returns the success message; the widgets its services
    announced are rendered in the response too (for the citizen's own language)."""
    debate = selectors.debate_for_code(code)
    try:
        enforce_newcomer_limit(request, debate.pk)
        participant = services.participant_for_request(request, debate)
        services.keep_participation(request, debate)
        with services.announced() as keys:
            message = action(debate, participant)
    except ServiceError as exc:
        return refusal_response(request, debate, exc)
    if not is_htmx(request):
        return _success_redirect(request, debate, message)
    # htmx: a flash message, the citizen's own state, and fresh copies of the widgets they just changed.
    html = flash_html(request, message, ok=True, me_json=selectors.participant_state_json(participant))
    if keys:
        frames = fragments.render(debate.pk, keys, [f"public.{request.LANGUAGE_CODE}"], None)
        html += "".join(h for _k, _v, h in next(iter(frames.values())))
    return HttpResponse(html)


def is_newcomer(request: HttpRequest, debate_id: int) -> bool:
    """Whether this request would make its session a new participant of the debate."""
    return str(debate_id) not in request.session.get(selectors.SESSION_KEY, {})


NEWCOMER_RULE = "participant_per_address"


def enforce_newcomer_limit(request: HttpRequest, debate_id: int) -> None:
    """A newcomer: many per address in a hall (one Wi-Fi), but not a script minting participants. Every path that
    makes participants counts under NEWCOMER_RULE (the ordinary views and the burst views here, the hot path in a
    batch: newcomers_within_limit); raises RateLimited."""
    if is_newcomer(request, debate_id):
        limits.enforce(NEWCOMER_RULE, limits.client_address(request))


def newcomers_within_limit(addresses: list[str]) -> list[bool]:
    """enforce_newcomer_limit for a burst of newcomers (one per address given), counted in one round trip."""
    return limits.hit_many(NEWCOMER_RULE, addresses)


def newcomer_refusal() -> limits.RateLimited:
    return limits.refusal(NEWCOMER_RULE)


def _success_redirect(request: HttpRequest, debate: Debate, message: str) -> HttpResponse:
    # The message carries its anchor: the page shows it where the redirect lands (citizen view, _landing).
    anchor = _ANCHOR.sub("", request.POST.get("anchor", ""))[:40]
    messages.success(request, message, extra_tags=anchor)
    return HttpResponseRedirect(reverse("citizen", args=[debate.code]) + "#" + anchor)


def refusal_response(request: HttpRequest, debate: Debate, refusal: ServiceError) -> HttpResponse:
    """A refused citizen write: the page with the reason (plain form post) or the reason and the citizen's own
    state (htmx). The hot path answers its refusals with this too."""
    if not is_htmx(request):
        ctx = citizen_context(request, debate)
        ctx["page_error"] = refusal.message
        # Without JavaScript the page is rebuilt: what the citizen typed goes back into its box.
        match = request.resolver_match
        ctx["kept"] = {
            "view": match.url_name if match else "",
            "poll": (match.kwargs if match else {}).get("poll_id"),
            "text": request.POST.get("text", ""),
        }
        return render(request, "debates/citizen.html", ctx, status=refusal.status)
    participant = selectors.participant_for_request(request, debate)
    html = flash_html(request, refusal.message, ok=False, me_json=selectors.participant_state_json(participant))
    return HttpResponse(html, status=refusal.status)


# Votes, upvotes and supports come in bursts: each has one implementation (services.*_many), which the hot path
# (debates/views_hot.py) calls for a whole burst and these views for one request. Their answer is the flash message
# only: the browser marks the citizen's choice itself and the new counts arrive by broadcast.
def _session(request: HttpRequest) -> dict[str, int]:
    return dict(request.session.get(selectors.SESSION_KEY, {}))


def ballot_for(request: HttpRequest, code: str, poll_id: int) -> services.Ballot:
    return services.Ballot(
        code, poll_id, selectors.parse_id(request.POST.get("option")), _session(request), services.client_key(request)
    )


def upvote_for(request: HttpRequest, code: str, target_id: int) -> services.Upvote:
    return services.Upvote(code, target_id, _session(request), services.client_key(request))


def _burst_write(
    request: HttpRequest, code: str, work: Callable[[list[Any]], list[services.Outcome]], item: Any, message: Any
) -> HttpResponse:
    debate = selectors.debate_for_code(code)
    try:
        enforce_newcomer_limit(request, debate.pk)
    except ServiceError as exc:
        return refusal_response(request, debate, exc)
    outcome = services.one(work, item)
    if isinstance(outcome, ServiceError):
        if outcome.status == services.NOT_FOUND:
            raise Http404("not in this debate")
        return refusal_response(request, debate, outcome)
    services.remember_participant(request, outcome)
    services.keep_participation(request, debate)
    if not is_htmx(request):
        return _success_redirect(request, debate, str(message))
    return HttpResponse(flash_html(request, str(message), ok=True))


@require_POST
def ask(request: HttpRequest, code: str) -> HttpResponse:
    def action(debate: Debate, participant: Any) -> str:
        name = request.POST.get("display_name")
        if name is not None and clean_line(name) != participant.display_name:
            services.participant_rename(participant=participant, display_name=name)
        question = services.question_submit(debate=debate, participant=participant, text=request.POST.get("text", ""))
        if question.status == Question.Status.PENDING:
            return _("Thank you! Your question is awaiting moderation.")
        return _("Thank you! Your question is published.")

    return _citizen_action(request, code, action)


@require_POST
def upvote(request: HttpRequest, code: str, question_id: int) -> HttpResponse:
    return _burst_write(
        request, code, services.question_upvote_many, upvote_for(request, code, question_id), UPVOTE_COUNTED
    )


@require_POST
def upvote_withdraw(request: HttpRequest, code: str, question_id: int) -> HttpResponse:
    """Take an upvote back (no burst twin: rare, and never a crowd at once)."""

    def action(debate: Debate, participant: Any) -> str:
        question = selectors.question_in_debate(debate, question_id)
        services.question_upvote_withdraw(question=question, participant=participant)
        return str(UPVOTE_WITHDRAWN)

    return _citizen_action(request, code, action)  # answers with the citizen's state: the mark goes


@require_POST
def vote(request: HttpRequest, code: str, poll_id: int) -> HttpResponse:
    return _burst_write(request, code, services.vote_cast_many, ballot_for(request, code, poll_id), VOTE_RECORDED)


@require_POST
def argue(request: HttpRequest, code: str, poll_id: int) -> HttpResponse:
    def action(debate: Debate, participant: Any) -> str:
        poll = selectors.poll_in_debate(debate, poll_id)
        arg = services.argument_post(
            poll=poll, participant=participant, side=request.POST.get("side", ""), text=request.POST.get("text", "")
        )
        if arg.status == Argument.Status.HELD:
            return _("Your argument is held for review by a moderator.")
        return _("Your argument is published.")

    return _citizen_action(request, code, action)


@require_POST
def support(request: HttpRequest, code: str, argument_id: int) -> HttpResponse:
    return _burst_write(
        request, code, services.argument_upvote_many, upvote_for(request, code, argument_id), SUPPORT_COUNTED
    )


@require_POST
def rename(request: HttpRequest, code: str) -> HttpResponse:
    def action(debate: Debate, participant: Any) -> str:
        services.participant_rename(participant=participant, display_name=request.POST.get("display_name", ""))
        return _("Your name is saved.")

    return _citizen_action(request, code, action)


@carries_secret  # the live_token, beside what moderators wrote back
@require_safe
@ensure_csrf_cookie
def me(request: HttpRequest, code: str) -> JsonResponse:
    """The citizen's own state (their votes, upvotes, and what moderators did with their questions)."""
    debate = selectors.debate_for_code(code)
    participant = services.participant_known_to_browser(request, debate)
    response = JsonResponse(selectors.participant_state(participant))
    response["Cache-Control"] = "no-store"
    return response
