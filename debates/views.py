"""Thin views: validate, call one service, answer with a fragment (htmx) or a redirect (plain form post).

Here: home and joining, the citizen page and its windows (show more, tabs, search), the JSON APIs, error pages.
Citizens' writes are debates/views_writes.py."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from . import fragments, limits, selectors, services
from .models import Debate
from .qr import absolute_url
from .services.text import clean_line


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def flash_html(request: HttpRequest | None, message: str, *, ok: bool, me_json: str = "") -> str:
    """The status line every citizen action answers with (and, when given, the citizen's own state)."""
    return render_to_string("debates/_flash.html", {"message": message, "ok": ok, "me_json": me_json}, request=request)


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
    participant = services.participant_known_to_browser(request, debate)
    ctx = fragments.page_context(debate, "public")
    ctx["me"] = selectors.participant_state(participant)
    ctx["me_json"] = selectors.participant_state_json(participant, state=ctx["me"])  # read once
    ctx["participant"] = participant
    ctx["is_moderator"] = selectors.user_can_moderate(debate, request.user)
    ctx["search_max"] = selectors.SEARCH_MAX_LENGTH
    return ctx


@require_safe
def citizen(request: HttpRequest, code: str) -> HttpResponse:
    debate = selectors.debate_for_code(code)
    ctx = citizen_context(request, debate)
    services.keep_participation(request, debate)
    ctx["landing"] = _landing(request)
    status = 200
    if WINDOW_PARAMS & set(request.GET):  # without JavaScript the tabs' form and "show more" reload the page
        try:
            ctx.update(question_window_context(request, debate))
        except selectors.BadCursor:
            ctx["page_error"], status = str(BAD_WINDOW), 400
        except limits.RateLimited as exc:
            ctx["page_error"], status = exc.message, exc.status
    return render(request, "debates/citizen.html", ctx, status=status)


# --- windows of the citizen page: "show more", the Top and Recent tabs, search ----------------------------------------
WINDOW_PARAMS = {"order", "q", "cursor"}
BAD_WINDOW = gettext_lazy("This list cannot be shown (an out-of-date or altered link, or a search that is too long).")
TOO_MANY_SEARCHES = gettext_lazy("You have searched many times in a row: please wait a minute.")


def question_window_context(request: HttpRequest, debate: Debate) -> dict[str, Any]:
    """The window of questions that ?order=top|recent, ?q= (a search of 3 characters or more) and ?cursor= (the
    previous window's, opaque) name. Raises selectors.BadCursor (a 400) or limits.RateLimited (a 429)."""
    raw = request.GET.get("q", "")
    if len(raw) > 4 * selectors.SEARCH_MAX_LENGTH:  # refused before any cleaning
        raise selectors.BadCursor("search too long")
    order, search, cursor = request.GET.get("order") or "top", clean_line(raw), request.GET.get("cursor") or None
    if selectors.SEARCH_MIN_LENGTH <= len(search) <= selectors.SEARCH_MAX_LENGTH:
        # A search reads more than a window: counted per participant, or per address for a reader who never took
        # part (a hall shares one address: that limit is generous).
        participant = selectors.participant_for_request(request, debate)
        if participant is not None:
            limits.enforce("search", participant.pk, str(TOO_MANY_SEARCHES))
        else:
            limits.enforce("search_per_address", limits.client_address(request), str(TOO_MANY_SEARCHES))
    questions, next_cursor = selectors.question_window(debate, order=order, cursor=cursor, search=search)
    return {
        "questions": questions,
        "next_cursor": next_cursor,
        "order": order,
        "search": search if len(search) >= selectors.SEARCH_MIN_LENGTH else "",
        "window_more": cursor is not None,
    }


def _window_refusal(request: HttpRequest, message: str, status: int) -> HttpResponse:
    """A refused window: the reason in the status line, the list left as it is (HX-Reswap: none)."""
    response = HttpResponse(flash_html(request, message, ok=False), status=status, headers={"HX-Reswap": "none"})
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def questions_window(request: HttpRequest, code: str) -> HttpResponse:
    """One window of the public questions (htmx): the first of a tab or a search (it replaces the list), or the next
    one after a cursor (it replaces the "show more" item, with the next "show more"). Without htmx: the page."""
    debate = selectors.debate_for_code(code)
    if not is_htmx(request):
        query = request.GET.urlencode()
        return HttpResponseRedirect(reverse("citizen", args=[debate.code]) + (f"?{query}" if query else ""))
    try:
        ctx = question_window_context(request, debate)
    except selectors.BadCursor:
        return _window_refusal(request, str(BAD_WINDOW), 400)
    except limits.RateLimited as exc:
        response = _window_refusal(request, exc.message, exc.status)
        response["Retry-After"] = str(exc.retry_after)
        return response
    ctx.update(debate=debate, audience="public", officials=selectors.official_titles(debate))
    response = render(request, "debates/citizen.html#question_window", ctx)
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def poll_arguments(request: HttpRequest, code: str, poll_id: int) -> HttpResponse:
    """The next window of a poll's arguments on one side (htmx "show more"): the arguments, appended to that side's
    list, and the next "show more" in place of the old one."""
    debate = selectors.debate_for_code(code)
    poll = selectors.poll_in_debate(debate, poll_id)
    if not poll.is_proposition or poll.status == poll.Status.DRAFT:
        raise Http404("no arguments")
    side = request.GET.get("side", "")
    try:
        items, more = selectors.argument_window(
            poll, side, limit=fragments.ARGUMENTS_PER_SIDE, cursor=request.GET.get("cursor") or None
        )
    except selectors.BadCursor:
        return _window_refusal(request, str(BAD_WINDOW), 400)
    ctx = {"debate": debate, "audience": "public", "poll": {"id": poll.pk, "obj": poll}, "side": side}
    html = "".join(render_to_string("debates/citizen.html#argument", {**ctx, "a": a}, request=request) for a in items)
    html += render_to_string(
        "debates/citizen.html#argument_more", {**ctx, "more": more, "more_oob": True}, request=request
    )
    response = HttpResponse(html)
    response["Cache-Control"] = "no-store"
    return response


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
            "citizen_url": absolute_url(reverse("citizen", args=[d.code]), request),
            "state_url": absolute_url(reverse("api_state", args=[d.code]), request),
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
    from .state import API_MAX_WINDOW, API_WINDOW, public_state

    try:
        limit = int(request.GET.get("limit", API_WINDOW))
    except ValueError:
        limit = -1
    if not 1 <= limit <= API_MAX_WINDOW:
        return JsonResponse({"error": f"limit must be a whole number from 1 to {API_MAX_WINDOW}"}, status=400)
    try:
        state = public_state(
            debate, order=request.GET.get("order", "top"), limit=limit, cursor=request.GET.get("cursor") or None
        )
    except selectors.BadCursor:
        return JsonResponse({"error": "bad cursor or order (order: top or recent; cursor: a next_cursor)"}, status=400)
    return JsonResponse(state, json_dumps_params={"ensure_ascii": False})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "500.html", status=500)
