"""Moderation console views: the live console, the official view, the merge box, settings, the log and its CSV
export.

Thin views: they find objects scoped to the debate (selectors), call exactly one service, and turn a ServiceError
into its status with a clear message. Permissions are enforced by the services; the console page itself is only
shown to the debate's moderators and officials. The console's action endpoint is debates/views_moderation_act.py;
what it asks for once loaded (a card's "⋯" panel, the screen link) is debates/views_moderation_panels.py.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from . import fragments, selectors, services
from .csvsafe import csv_response
from .models import Debate, DebateRole, ModerationLog, Poll
from .qr import absolute_url
from .services.text import clean_line

LOG_PAGE_SIZE = 50


# --- access -------------------------------------------------------------------------------------------------------
def _staff_debate(request: HttpRequest, code: str) -> tuple[Debate, bool, bool]:
    """The debate and the user's roles on it; 403 page for staff without a role here."""
    debate = selectors.debate_for_staff(code, request.user)
    can_moderate = selectors.user_can_moderate(debate, request.user)
    is_official = selectors.user_is_official(debate, request.user)
    return debate, can_moderate, is_official


def _forbidden_page(
    request: HttpRequest, message: str, status: int = 403, debate: Debate | None = None
) -> HttpResponse:
    return render(request, "403.html", {"message": message, "status": status, "debate": debate}, status=status)


def _not_staff(request: HttpRequest, debate: Debate) -> HttpResponse:
    return _forbidden_page(request, _("You are not a moderator or an official of this debate."), debate=debate)


# --- the console --------------------------------------------------------------------------------------------------
def console_context(request: HttpRequest, debate: Debate, *, can_moderate: bool, is_official: bool) -> dict[str, Any]:
    ctx = fragments.page_context(debate, "moderators")
    # The console's lists are paged (exact counts); live pushes keep each list's first page current.
    pages = {
        "pending": selectors.pending_page,
        "approved": selectors.approved_page,
        "held": selectors.held_arguments_page,
    }
    for name, read in pages.items():
        if request.GET.get(name):
            ctx[f"{name}_page"] = read(debate, request.GET.get(name))
    ctx["pending"], ctx["questions"] = ctx["pending_page"]["items"], ctx["approved_page"]["items"]
    ctx["held_arguments"] = ctx["held_page"]["items"]
    ctx.update(
        can_moderate=can_moderate,
        is_official=is_official,
        citizen_url=absolute_url(reverse("citizen", args=[debate.code]), request),
        poll_kinds=Poll.Kind.choices,
        poll_results_modes=Poll.Results.choices,
    )
    return ctx


def screen_link(request: HttpRequest, debate: Debate) -> dict[str, Any]:
    """The secret screen link and its QR code (to open the screen on the hall's PC by scanning it): never in the
    console page itself, but in its own answer (views_moderation_panels.screen_link_panel) and a new link's."""
    from .qr import qr_svg

    url = absolute_url(reverse("screen", args=[debate.code, debate.screen_token]), request)
    return {"screen_url": url, "screen_qr": qr_svg(url)}


@login_required
@require_safe
def console(request: HttpRequest, code: str) -> HttpResponse:
    debate, can_moderate, is_official = _staff_debate(request, code)
    if not (can_moderate or is_official):
        return _not_staff(request, debate)
    ctx = console_context(request, debate, can_moderate=can_moderate, is_official=is_official)
    if is_official and not can_moderate:
        return render(request, "debates/official.html", ctx)  # an official-only role gets their own view
    return render(request, "debates/moderate.html", ctx)


@login_required
@require_safe
def official_view(request: HttpRequest, code: str) -> HttpResponse:
    """The officials' view (also open to moderators, to see what the stage sees): the question on screen large,
    the approved questions by support, a big answer box, the moderators' notes; no moderation buttons."""
    debate, can_moderate, is_official = _staff_debate(request, code)
    if not (can_moderate or is_official):
        return _not_staff(request, debate)
    ctx = console_context(request, debate, can_moderate=False, is_official=is_official)
    return render(request, "debates/official.html", ctx)


@login_required
@require_safe
def merge_choices(request: HttpRequest, code: str) -> HttpResponse:
    """The merge box of one pending card, asked for when it opens (never rendered with the queue): likely
    duplicates ranked by similarity, or the questions matching what the moderator types."""
    debate, can_moderate, _is_official = _staff_debate(request, code)
    if not can_moderate:
        return _not_staff(request, debate)
    question = selectors.question_in_debate(debate, request.GET.get("question"))
    search = (request.GET.get("q") or "").strip()
    if len(search) >= 2:
        choices, suggested = selectors.merge_candidates(debate, exclude=question.pk, search=search), False
    else:
        choices, suggested = selectors.similar_questions(question), True
    return render(
        request,
        "debates/moderate.html#merge_choices",
        {"debate": debate, "question": question, "choices": choices, "suggested": suggested, "search": search},
    )


@login_required
def settings_page(request: HttpRequest, code: str) -> HttpResponse:
    """The debate's settings (moderators) and its roles (administrators)."""
    from .forms import DebateSettingsForm, RoleForm

    debate, can_moderate, _is_official = _staff_debate(request, code)
    if not can_moderate:
        return _not_staff(request, debate)
    can_assign = request.user.has_perm("debates.add_debaterole")
    form, role_form, status = DebateSettingsForm(instance=debate), RoleForm(), 200
    if request.method == "POST":
        try:
            if request.POST.get("form") == "role":
                role_form = RoleForm(request.POST)
                if role_form.is_valid():
                    services.role_assign(debate=debate, actor=request.user, **role_form.cleaned_data)
                    messages.success(request, _("Role given."))
                    return redirect("moderation_settings", code=debate.code)
                status = 400
            elif request.POST.get("form") == "remove_role":
                role = get_object_or_404(DebateRole, pk=selectors.parse_id(request.POST.get("role")), debate=debate)
                services.role_remove(role=role, actor=request.user)
                messages.success(request, _("Role removed."))
                return redirect("moderation_settings", code=debate.code)
            else:
                form = DebateSettingsForm(request.POST, instance=Debate.objects.get(pk=debate.pk))
                if form.is_valid():
                    services.debate_update_settings(debate=debate, actor=request.user, **form.cleaned_data)
                    messages.success(request, _("Settings saved."))
                    return redirect("moderation_settings", code=debate.code)
                status = 400
        except services.ServiceError as exc:
            messages.error(request, exc.message)
            status = exc.status
    ctx = {
        "debate": debate,
        "form": form,
        "role_form": role_form,
        "can_assign": can_assign,
        "roles": debate.roles.select_related("user").order_by("role", "user__username"),
    }
    return render(request, "debates/moderation_settings.html", ctx, status=status)


# --- the log ------------------------------------------------------------------------------------------------------
def _log_queryset(debate: Debate, request: HttpRequest) -> tuple[Any, dict[str, str]]:
    filters = {k: clean_line(request.GET.get(k, ""), 150) for k in ("action", "actor", "object_type")}
    qs = ModerationLog.objects.filter(debate=debate).select_related("actor").order_by("-created_at", "-id")
    if filters["action"]:
        qs = qs.filter(action=filters["action"])
    if filters["actor"]:
        qs = qs.filter(actor__username=filters["actor"])
    if filters["object_type"]:
        qs = qs.filter(object_type=filters["object_type"])
    return qs, filters


@login_required
@require_safe
def log(request: HttpRequest, code: str) -> HttpResponse:
    debate, can_moderate, is_official = _staff_debate(request, code)
    if not (can_moderate or is_official):
        return _not_staff(request, debate)
    qs, filters = _log_queryset(debate, request)
    page = Paginator(qs, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    everything = ModerationLog.objects.filter(debate=debate)
    query = urlencode({k: v for k, v in filters.items() if v})
    ctx = {
        "debate": debate,
        "page": page,
        "filters": filters,
        "query": query,
        "actions": sorted(set(everything.values_list("action", flat=True))),
        "object_types": sorted(set(everything.values_list("object_type", flat=True))),
        "actors": sorted(set(everything.exclude(actor=None).values_list("actor__username", flat=True))),
    }
    return render(request, "debates/moderation_log.html", ctx)


@login_required
@require_safe
def log_csv(request: HttpRequest, code: str) -> HttpResponse:
    debate, can_moderate, is_official = _staff_debate(request, code)
    if not (can_moderate or is_official):
        return _not_staff(request, debate)
    qs, _filters = _log_queryset(debate, request)
    rows = (
        (
            timezone.localtime(e.created_at).isoformat(timespec="seconds"),
            e.actor.get_username() if e.actor else "",
            e.action,
            e.object_type,
            e.object_id,
            json.dumps(e.before, ensure_ascii=False),
            json.dumps(e.after, ensure_ascii=False),
        )
        for e in qs.iterator()
    )
    header = ("when", "actor", "action", "object_type", "object_id", "before", "after")
    return csv_response(f"moderation-log-{debate.code}.csv", header, rows)
