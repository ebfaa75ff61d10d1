"""Thin views of consultations: the proposals page, one proposal, citizens' proposal actions, and the moderators'
proposals page (settings, queue, hide, merge)."""

from __future__ import annotations

import json
from typing import Any, Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from . import fragments, selectors, services
from . import selectors_consult as reads
from .models import Debate, Participant
from .models_consult import Consultation, Phase, Proposal
from .services import ServiceError
from .views import flash_html, is_htmx

PROPOSAL_SUPPORTED = gettext_lazy("Support counted.")  # shared with views_hot.proposal_support


def _mine_json(participant: Any) -> str:
    raw = json.dumps({"supported": reads.my_supports(participant), "flagged": reads.my_flags(participant)})
    return raw.replace("<", "\\u003c")


def _page_context(request: HttpRequest, debate: Debate) -> dict[str, Any]:
    participant = services.participant_known_to_browser(request, debate)
    consultation = reads.consultation_of(debate)
    return {
        "debate": debate,
        "audience": "public",
        "oob": False,
        "v": fragments.version_now(),
        "consultation": consultation,
        "threshold": consultation.proposal_threshold if consultation else 0,
        "participant": participant,
        "mine_json": _mine_json(participant),
        # Who they are, for the page's socket (supports sent over it: static/js/live.js).
        "me_json": selectors.participant_state_json(None, state=selectors.participant_identity_state(participant)),
        "is_moderator": selectors.user_can_moderate(debate, request.user),
    }


@require_GET
def proposals(request: HttpRequest, code: str) -> HttpResponse:
    debate = selectors.debate_for_code(code)
    ctx = _page_context(request, debate)
    ctx["proposals"] = reads.public_proposals(debate)
    ctx["categories"] = ctx["consultation"].category_list() if ctx["consultation"] else []
    return render(request, "debates/proposals.html", ctx)


@require_GET
def proposal_detail(request: HttpRequest, code: str, proposal_id: int) -> HttpResponse:
    debate = selectors.debate_for_code(code)
    proposal = reads.proposal_in_debate(debate, proposal_id)
    if proposal.status == Proposal.Status.MERGED and proposal.merged_into_id:
        return redirect("proposal", code=debate.code, proposal_id=proposal.merged_into_id)
    ctx = _page_context(request, debate)
    ctx["p"] = proposal
    return render(request, "debates/proposal.html", ctx)


def _citizen_proposal_action(
    request: HttpRequest, code: str, action: Callable[[Debate, Any], tuple[str, list[str]]]
) -> HttpResponse:
    """Run a citizen's proposal write; answer htmx with the status line, the citizen's own marks and the widgets
    they changed, a plain form post with a redirect back to where they were."""
    debate = selectors.debate_for_code(code)
    participant: Participant | None
    try:
        participant = services.participants.participant_for_request(request, debate)
        message, keys = action(debate, participant)
        status = 200
    except ServiceError as exc:
        message, keys, status = exc.message, [], exc.status
        participant = selectors.participant_for_request(request, debate)
    back = request.POST.get("next", "")
    if not back.startswith(f"/d/{debate.code}/"):
        back = reverse("proposals", args=[debate.code])
    if not is_htmx(request):
        (messages.success if status == 200 else messages.error)(request, message)
        return HttpResponseRedirect(back)
    html = flash_html(request, message, ok=status == 200)
    html += f'<script id="my-proposals" type="application/json" hx-swap-oob="true">{_mine_json(participant)}</script>'
    if keys:
        frames = fragments.render(debate.pk, keys, [f"public.{request.LANGUAGE_CODE}"], None)
        html += "".join(h for _k, _v, h in next(iter(frames.values())))
    return HttpResponse(html, status=status)


@require_POST
def propose(request: HttpRequest, code: str) -> HttpResponse:
    def action(debate: Debate, participant: Any) -> tuple[str, list[str]]:
        name = request.POST.get("display_name")
        if name is not None and name.strip() != participant.display_name:
            services.participant_rename(participant=participant, display_name=name)
        proposal = services.proposal_submit(
            debate=debate,
            participant=participant,
            title=request.POST.get("title", ""),
            text=request.POST.get("text", ""),
            category=request.POST.get("category", ""),
        )
        if proposal.status == Proposal.Status.HELD:
            return _("Your proposal is held for review by a moderator."), []
        return _("Thank you! Your proposal is published: invite others to support it."), ["proposals"]

    return _citizen_proposal_action(request, code, action)


def _proposal(debate: Debate, proposal_id: int) -> Proposal:
    return reads.proposal_in_debate(debate, proposal_id)


@require_POST
def proposal_support(request: HttpRequest, code: str, proposal_id: int) -> HttpResponse:
    """Also served, in a burst, by views_hot.proposal_support (same URL), through services.proposal_support_many."""

    def action(debate: Debate, participant: Any) -> tuple[str, list[str]]:
        services.proposal_support(proposal=_proposal(debate, proposal_id), participant=participant)
        return str(PROPOSAL_SUPPORTED), [f"proposal:{proposal_id}"]

    return _citizen_proposal_action(request, code, action)


@require_POST
def proposal_withdraw(request: HttpRequest, code: str, proposal_id: int) -> HttpResponse:
    def action(debate: Debate, participant: Any) -> tuple[str, list[str]]:
        services.proposal_withdraw_support(proposal=_proposal(debate, proposal_id), participant=participant)
        return _("Your support is withdrawn."), [f"proposal:{proposal_id}"]

    return _citizen_proposal_action(request, code, action)


@require_POST
def proposal_flag(request: HttpRequest, code: str, proposal_id: int) -> HttpResponse:
    def action(debate: Debate, participant: Any) -> tuple[str, list[str]]:
        services.proposal_flag(proposal=_proposal(debate, proposal_id), participant=participant)
        return _("Thank you: a moderator will look at this proposal."), []

    return _citizen_proposal_action(request, code, action)


# --- moderators -----------------------------------------------------------------------------------------------------
def _moderated_debate(request: HttpRequest, code: str) -> Debate | None:
    debate = selectors.debate_for_staff(code, request.user)
    return debate if selectors.user_can_moderate(debate, request.user) else None


def _forbidden_page(request: HttpRequest, message: str, status: int = 403) -> HttpResponse:
    return render(request, "403.html", {"message": message, "status": status}, status=status)


@login_required
@require_GET
def moderate_proposals(request: HttpRequest, code: str) -> HttpResponse:
    debate = _moderated_debate(request, code)
    if debate is None:
        return _forbidden_page(request, _("You are not a moderator of this debate."))
    ctx: dict[str, Any] = {"debate": debate, "audience": "moderators", "oob": False, "v": fragments.version_now()}
    ctx.update(fragments.widget_context(debate, "proposals_queue", "moderators"))
    ctx["consultation"] = ctx["consultation"] or Consultation(debate=debate)
    ctx["outcomes"] = Consultation.Outcome.choices
    ctx["all_proposals"] = reads.public_proposals(debate, limit=100)
    ctx.update(reads.dates_form(debate, ctx["consultation"]))
    return render(request, "debates/proposals_moderate.html", ctx)


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ServiceError(_("This number is not valid.")) from None


def _settings(debate: Debate, request: HttpRequest) -> str:
    post = request.POST
    services.consultation_update(
        debate=debate,
        actor=request.user,
        proposals_enabled=post.get("proposals_enabled") == "on",
        proposal_threshold=_int(post.get("proposal_threshold")),
        proposal_outcome=post.get("proposal_outcome", ""),
        categories=post.get("categories", ""),
    )
    return _("Consultation settings saved.")


def _moderate(action: str) -> Callable[[Debate, HttpRequest], str]:
    def handler(debate: Debate, request: HttpRequest) -> str:
        proposal = reads.proposal_in_debate(debate, request.POST.get("proposal"), staff=True)
        services.proposal_moderate(proposal=proposal, actor=request.user, action=action)
        return {
            "hide": _("Proposal hidden."),
            "publish": _("Proposal published."),
            "dismiss_flags": _("Flags dismissed: the proposal stays."),
        }[action]

    return handler


def _merge(debate: Debate, request: HttpRequest) -> str:
    proposal = reads.proposal_in_debate(debate, request.POST.get("proposal"), staff=True)
    into = reads.proposal_in_debate(debate, request.POST.get("into"), staff=True)
    services.proposal_merge(proposal=proposal, into=into, actor=request.user)
    return _("Proposals merged.")


ACTIONS: dict[str, Callable[[Debate, HttpRequest], str]] = {
    "settings": _settings,
    "dates": lambda debate, request: _dates(debate, request),
    "hide": _moderate("hide"),
    "publish": _moderate("publish"),
    "dismiss_flags": _moderate("dismiss_flags"),
    "merge": _merge,
}


@require_POST
def moderate_proposals_act(request: HttpRequest, code: str) -> HttpResponse:
    """Every moderator action on proposals (field `action`); the services check the permissions."""
    debate = selectors.debate_for_staff(code, request.user)
    handler = ACTIONS.get(request.POST.get("action", ""))
    try:
        if handler is None:
            raise ServiceError(_("Unknown action."), status=400)
        message, status = handler(debate, request), 200
    except ServiceError as exc:
        message, status = exc.message, exc.status
    except Http404:
        message, status = _("This item does not exist in this debate (any more)."), 404
    if status != 200:
        return _forbidden_page(request, message, status=status)
    messages.success(request, message)
    return redirect("moderate_proposals", code=debate.code)


def _when(debate: Debate, value: str | None) -> Any:
    """A datetime-local field, read in the debate's time zone; None when empty."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    if value is None or not value.strip():
        return None
    try:
        naive = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ServiceError(_("This date is not valid.")) from None
    return naive.replace(tzinfo=ZoneInfo(getattr(debate, "time_zone", "") or "UTC"))


def _dates(debate: Debate, request: HttpRequest) -> str:
    post = request.POST
    phases = []
    for kind in Phase.Kind.values:
        start, end = _when(debate, post.get(f"{kind}_start")), _when(debate, post.get(f"{kind}_end"))
        if start and end:
            phases.append((kind, start, end))
        elif start or end:
            raise ServiceError(_("Give a phase both its start and its end, or neither."))
    services.consultation_set_dates(
        debate=debate,
        actor=request.user,
        opens_at=_when(debate, post.get("opens_at")),
        closes_at=_when(debate, post.get("closes_at")),
        phases=phases,
    )
    return _("Dates saved.")
