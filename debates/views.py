"""Thin views: validate, call one service, answer with a fragment (htmx) or a redirect (plain form post)."""

from __future__ import annotations

import re
from typing import Any, Callable

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe, require_POST

from . import fragments, limits, selectors, services
from .models import Debate
from .services import ServiceError
from .services.text import clean_line


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def public_url(request: HttpRequest, path: str) -> str:
    from django.conf import settings

    base = settings.PUBLIC_BASE_URL or f"{request.scheme}://{request.get_host()}"
    return base + path


# --- home and joining ---------------------------------------------------------------------------------------------
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    code = "".join(clean_line(request.GET.get("code", ""), 40).upper().split())
    if code:
        address = limits.client_address(request)
        if limits.over("code_guess", address):
            return render(
                request, "debates/home.html", _home_context(code_error=True, code=code, rate_limited=True), status=429
            )
        if (
            selectors.is_join_code(code)
            and Debate.objects.filter(code=code).exclude(status=Debate.Status.DRAFT).exists()
        ):
            return redirect("citizen", code=code)
        limits.record_failure("code_guess", address)
        return render(request, "debates/home.html", _home_context(code_error=True, code=code), status=404)
    return render(request, "debates/home.html", _home_context())


def _home_context(**extra: Any) -> dict[str, Any]:
    return {"debates": selectors.live_and_upcoming(), "closed": selectors.recent_closed(), **extra}


def join_code(request: HttpRequest, code: str) -> HttpResponse:
    selectors.debate_for_code(code)
    return redirect("citizen", code=code.upper())


# --- the citizen page ---------------------------------------------------------------------------------------------
def citizen_context(request: HttpRequest, debate: Debate) -> dict[str, Any]:
    participant = selectors.participant_for_request(request, debate)
    ctx = fragments.page_context(debate, "public")
    ctx["me"] = selectors.participant_state(participant)
    ctx["me_json"] = selectors.participant_state_json(participant, state=ctx["me"])  # read once
    ctx["participant"] = participant
    ctx["is_moderator"] = selectors.user_can_moderate(debate, request.user)
    return ctx


@require_safe
def citizen(request: HttpRequest, code: str) -> HttpResponse:
    debate = selectors.debate_for_code(code)
    ctx = citizen_context(request, debate)
    ctx["landing"] = _landing(request)
    return render(request, "debates/citizen.html", ctx)


def _landing(request: HttpRequest) -> dict[str, Any] | None:
    """The confirmation of a plain form post, placed where the redirect lands (its anchor: poll-N, q-N, questions)."""
    for m in messages.get_messages(request):
        anchor = m.extra_tags or ""
        kind, _dash, number = anchor.rpartition("-")
        landing: dict[str, Any] = {"anchor": anchor, "message": m.message}
        if number.isdigit():
            landing["poll" if kind == "poll" else "question" if kind == "q" else "other"] = int(number)
        elif anchor != "questions":
            return None  # not for a place on this page: the usual message at the top
        return landing
    return None


# The answers of the hot actions, shared with their burst-proof twins in views_hot.
VOTE_RECORDED = gettext_lazy("Your vote is recorded. You can change it while the poll is open.")
UPVOTE_COUNTED = gettext_lazy("Upvote counted.")
UPVOTE_WITHDRAWN = gettext_lazy("Upvote taken back.")
SUPPORT_COUNTED = gettext_lazy("Support counted.")


def flash_html(request: HttpRequest, message: str, *, ok: bool, me_json: str = "") -> str:
    """The status line every citizen action answers with (and, when given, the citizen's own state)."""
    return render_to_string("debates/_flash.html", {"message": message, "ok": ok, "me_json": me_json}, request=request)


_ANCHOR = re.compile(r"[^a-z0-9-]")


def _citizen_action(request: HttpRequest, code: str, action: Callable[[Debate, Any], str]) -> HttpResponse:
    """Run a citizen write. action(debate, participant) returns the success message; the widgets its services
    announced are rendered in the response too (for the citizen's own language)."""
    debate = selectors.debate_for_code(code)
    try:
        enforce_newcomer_limit(request, debate.pk)
        participant = services.participant_for_request(request, debate)
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


def enforce_newcomer_limit(request: HttpRequest, debate_id: int) -> None:
    """A newcomer: many per address in a hall (one Wi-Fi), but not a script minting participants. Every path that
    makes participants counts here (the ordinary views, the burst views, the hot path); raises RateLimited."""
    if is_newcomer(request, debate_id):
        limits.enforce("participant_per_address", limits.client_address(request))


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
        if question.status == "pending":
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
        if arg.status == "held":
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


@require_safe
@ensure_csrf_cookie
def me(request: HttpRequest, code: str) -> JsonResponse:
    """The citizen's own state (their votes, upvotes, and what moderators did with their questions)."""
    debate = selectors.debate_for_code(code)
    participant = selectors.participant_for_request(request, debate)
    response = JsonResponse(selectors.participant_state(participant))
    response["Cache-Control"] = "no-store"
    return response


# --- JSON APIs ----------------------------------------------------------------------------------------------------
@require_safe
def api_debates(request: HttpRequest) -> JsonResponse:
    data = [
        {
            "title": d.title,
            "code": d.code,
            "status": d.status,
            "scheduled_start": d.scheduled_start.isoformat() if d.scheduled_start else None,
            "scheduled_end": d.scheduled_end.isoformat() if d.scheduled_end else None,
            "citizen_url": public_url(request, reverse("citizen", args=[d.code])),
            "state_url": public_url(request, reverse("api_state", args=[d.code])),
        }
        for d in selectors.live_and_upcoming()
    ]
    return JsonResponse({"debates": data})


@require_safe
def api_state(request: HttpRequest, code: str) -> JsonResponse:
    try:
        debate = selectors.debate_for_code(code)
    except Http404:
        return JsonResponse({"error": "unknown debate code"}, status=404)
    from .state import public_state

    return JsonResponse(public_state(debate), json_dumps_params={"ensure_ascii": False})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)
