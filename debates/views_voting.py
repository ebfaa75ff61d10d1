"""Thin views of voter codes and binding votes: a citizen enters their code; moderators generate codes (a printable
sheet or a CSV, shown once), revoke them, set a poll's rules before it opens and declare a closed poll's result."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import codes, limits, selectors, services
from .breach import carries_secret
from . import selectors_consult as reads
from .models import Debate, Participant
from .selectors import SESSION_KEY
from .services import ServiceError
from .views import flash_html, is_htmx


def _client(request: HttpRequest) -> str:
    return limits.client_address(request) or "unknown"  # behind a trusted proxy, the citizen's own address


@require_POST
def enter_code(request: HttpRequest, code: str) -> HttpResponse:
    """A citizen enters their voter code; from then on this browser votes as the code's participant."""
    debate = selectors.debate_for_code(code)
    current = selectors.participant_for_request(request, debate)
    participant: Participant | None
    try:
        participant = services.voter_code_enter(
            debate=debate, participant=current, typed=request.POST.get("code", ""), client=_client(request)
        )
        services.remember_participant(request, participant)
        services.keep_participation(request, debate)
        message, status = _("Your voter code is accepted: you vote with it, once per poll, on any device."), 200
    except ServiceError as exc:
        message, status, participant = exc.message, exc.status, current
    if not is_htmx(request):
        (messages.success if status == 200 else messages.error)(request, message)
        return HttpResponseRedirect(reverse("citizen", args=[debate.code]))
    html = flash_html(
        request,
        message,
        ok=status == 200,
        me_json=selectors.participant_state_json(participant) if status == 200 else "",
    )
    return HttpResponse(html, status=status)


@carries_secret  # a recovery code, shown once
@require_POST
def recovery_code(request: HttpRequest, code: str) -> HttpResponse:
    """A citizen asks for a recovery code: shown this once, it takes their participation to another device."""
    debate = selectors.debate_for_code(code)
    if str(debate.pk) not in request.session.get(SESSION_KEY, {}):
        return _answer(request, debate, _("You have not taken part in this debate yet: nothing to recover."), 400)
    participant = services.participant_for_request(request, debate)
    typed = codes.display(services.participant_recovery_code(participant=participant))
    context = {"debate": debate, "code": typed}
    if not is_htmx(request):
        response = render(request, "debates/recovery_page.html", context)
        response["Cache-Control"] = "no-store"
        return response
    html = render_to_string("debates/_recovery_code.html", context, request=request)
    return HttpResponse(
        flash_html(request, _("Here is your recovery code. Write it down: it is shown only once."), ok=True) + html,
        headers={"Cache-Control": "no-store"},
    )


@require_POST
def recover(request: HttpRequest, code: str) -> HttpResponse:
    """A citizen types their recovery code on another device: from then on this browser is that participant."""
    debate = selectors.debate_for_code(code)
    try:
        participant = services.participant_recover(
            debate=debate, typed=request.POST.get("recovery", ""), client=_client(request)
        )
    except ServiceError as exc:
        return _answer(request, debate, exc.message, exc.status)
    services.remember_participant(request, participant)
    services.keep_participation(request, debate)
    return _answer(
        request,
        debate,
        _("Welcome back: this device now takes part as you did on the other one."),
        200,
        me_json=selectors.participant_state_json(participant),
    )


def _answer(request: HttpRequest, debate: Any, message: str, status: int, me_json: str = "") -> HttpResponse:
    if not is_htmx(request):
        (messages.success if status == 200 else messages.error)(request, message)
        return HttpResponseRedirect(reverse("citizen", args=[debate.code]))
    return HttpResponse(flash_html(request, message, ok=status == 200, me_json=me_json), status=status)


# --- moderators -----------------------------------------------------------------------------------------------------
def _moderated(request: HttpRequest, code: str) -> Debate | None:
    debate = selectors.debate_for_staff(code, request.user)
    return debate if selectors.user_can_moderate(debate, request.user) else None


def _refused(request: HttpRequest, message: str, status: int = 403) -> HttpResponse:
    return render(request, "403.html", {"message": message, "status": status}, status=status)


@login_required
@require_GET
def votes_page(request: HttpRequest, code: str) -> HttpResponse:
    debate = _moderated(request, code)
    if debate is None:
        return _refused(request, _("You are not a moderator of this debate."))
    return render(request, "debates/votes_moderate.html", {"debate": debate, **reads.voting_overview(debate)})


@carries_secret  # a sheet of new voter codes
@login_required
@require_POST
def votes_act(request: HttpRequest, code: str) -> HttpResponse:
    """Every moderator action on codes and binding votes (field `action`); the services check the permissions."""
    debate = selectors.debate_for_staff(code, request.user)
    action = request.POST.get("action", "")
    try:
        if action == "generate":
            return _generated(request, debate)
        if action == "revoke":
            services.voter_code_revoke(debate=debate, actor=request.user, typed=request.POST.get("code", ""))
            message = _("Code revoked.")
        elif action == "mode":
            services.consultation_update(debate=debate, actor=request.user, vote_mode=request.POST.get("vote_mode"))
            message = _("Voting mode saved.")
        elif action in ("rules", "declare"):
            poll = selectors.poll_in_debate(debate, request.POST.get("poll"))
            if action == "rules":
                services.poll_set_rules(
                    poll=poll,
                    actor=request.user,
                    binding=request.POST.get("binding") == "on",
                    secret=request.POST.get("secret") == "on",
                )
                message = _("Poll rules saved.")
            else:
                services.poll_declare_result(poll=poll, actor=request.user)
                message = _("Result declared: the tally is frozen.")
        else:
            raise ServiceError(_("Unknown action."), status=400)
    except ServiceError as exc:
        return _refused(request, exc.message, exc.status)
    messages.success(request, message)
    return redirect("votes_moderate", code=debate.code)


def _generated(request: HttpRequest, debate: Debate) -> HttpResponse:
    """The new codes, once: a printable sheet or a CSV, never cached anywhere."""
    try:
        count = int(request.POST.get("count", ""))
    except ValueError:
        raise ServiceError(_("This number is not valid.")) from None
    issued = services.voter_codes_generate(debate=debate, actor=request.user, count=count)
    shown = [codes.display(c) for c in issued]
    if request.POST.get("format") == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["debate", "code"])
        writer.writerows([debate.code, c] for c in shown)
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="voter-codes-{debate.code}.csv"'
    else:
        response = render(
            request,
            "debates/voter_codes_sheet.html",
            {
                "debate": debate,
                "codes": shown,
                "join_url": request.build_absolute_uri(reverse("citizen", args=[debate.code])),
            },
        )
    response["Cache-Control"] = "no-store"
    return response
