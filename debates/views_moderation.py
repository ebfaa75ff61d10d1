"""Moderation console views: the live console, its single action endpoint, the log and its CSV export.

Thin views: they find objects scoped to the debate (selectors), call exactly one service, and turn a ServiceError
into its status with a clear message. Permissions are enforced by the services; the console page itself is only
shown to the debate's moderators and officials.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe, require_POST

from . import fragments, selectors, services
from .csvsafe import csv_response
from .models import Debate, DebateRole, ModerationLog, Participant, Poll
from .services import ServiceError
from .services.text import clean_line
from .qr import absolute_url
from .views import is_htmx

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
        **screen_link(request, debate),
        citizen_url=absolute_url(reverse("citizen", args=[debate.code]), request),
        poll_kinds=Poll.Kind.choices,
        poll_results_modes=Poll.Results.choices,
    )
    return ctx


def screen_link(request: HttpRequest, debate: Debate) -> dict[str, Any]:
    """The secret screen link and its QR code (to open the screen on the hall's PC by scanning it)."""
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


# --- the action endpoint ------------------------------------------------------------------------------------------
# A handler calls one service and returns the message for the moderator; the widgets rendered in the response are
# the ones that service announced (services.announced), so there is no second list of keys to keep in step.
Handler = Callable[[Debate, HttpRequest], str]


def _q(debate: Debate, request: HttpRequest, field: str = "question") -> Any:
    return selectors.question_in_debate(debate, request.POST.get(field))


def _participant(debate: Debate, request: HttpRequest) -> Participant:
    try:
        pk = selectors.parse_id(request.POST.get("participant"))
        return Participant.objects.select_related("debate").get(pk=pk, debate=debate)
    except (Participant.DoesNotExist, ValueError, TypeError):
        raise Http404("unknown participant") from None


def _approve(debate: Debate, request: HttpRequest) -> str:
    services.question_approve(question=_q(debate, request), actor=request.user)
    return _("Question approved.")


def _bulk(action: str) -> Handler:
    def handler(debate: Debate, request: HttpRequest) -> str:
        done, skipped = services.question_moderate_many(
            debate=debate,
            question_ids=request.POST.getlist("questions"),
            actor=request.user,
            action=action,
            reason=request.POST.get("reason", ""),
        )
        message = (_("%(n)d questions approved.") if action == "approve" else _("%(n)d questions rejected.")) % {
            "n": done
        }
        if skipped:
            message += " " + _("%(n)d skipped (already handled).") % {"n": skipped}
        return message

    return handler


def _reject(debate: Debate, request: HttpRequest) -> str:
    services.question_reject(question=_q(debate, request), actor=request.user, reason=request.POST.get("reason", ""))
    return _("Question rejected. Its author sees the reason.")


def _edit(debate: Debate, request: HttpRequest) -> str:
    services.question_edit(question=_q(debate, request), actor=request.user, text=request.POST.get("text", ""))
    return _("Question edited; the original is kept in the log.")


def _merge(debate: Debate, request: HttpRequest) -> str:
    duplicate, into = _q(debate, request), _q(debate, request, "into")
    services.question_merge(duplicate=duplicate, into=into, actor=request.user)
    return _("Questions merged: upvotes combined.")


def _star(starred: bool) -> Handler:
    def handler(debate: Debate, request: HttpRequest) -> str:
        services.question_star(question=_q(debate, request), actor=request.user, starred=starred)
        return _("Question starred.") if starred else _("Star removed.")

    return handler


def _onscreen(debate: Debate, request: HttpRequest) -> str:
    services.question_put_on_screen(question=_q(debate, request), debate=debate, actor=request.user)
    return _("Question on screen.")


def _clear_screen(debate: Debate, request: HttpRequest) -> str:
    services.question_put_on_screen(question=None, debate=debate, actor=request.user)
    return _("Screen cleared.")


def _answered(debate: Debate, request: HttpRequest) -> str:
    services.question_mark_answered(question=_q(debate, request), actor=request.user)
    return _("Question marked answered.")


def _answer(debate: Debate, request: HttpRequest) -> str:
    services.answer_post(question=_q(debate, request), actor=request.user, text=request.POST.get("text", ""))
    return _("Your answer is published.")


def _mute(muted: bool) -> Handler:
    def handler(debate: Debate, request: HttpRequest) -> str:
        participant = _participant(debate, request)
        services.participant_set_muted(participant=participant, muted=muted, actor=request.user)
        message = _("%(name)s is muted: their new posts are refused.") if muted else _("%(name)s can post again.")
        return message % {"name": participant.public_name}

    return handler


def _argument(status: str) -> Handler:
    def handler(debate: Debate, request: HttpRequest) -> str:
        arg = selectors.argument_in_debate(debate, request.POST.get("argument"))
        services.argument_set_status(argument=arg, actor=request.user, status=status)
        return _("Argument hidden.") if status == "hidden" else _("Argument restored.")

    return handler


def _poll_create(debate: Debate, request: HttpRequest) -> str:
    options = (request.POST.get("options") or "").splitlines()
    services.poll_create(
        debate=debate,
        actor=request.user,
        text=request.POST.get("text", ""),
        kind=request.POST.get("kind", Poll.Kind.YES_NO_ABSTAIN),
        options=options,
        results=request.POST.get("results", Poll.Results.LIVE),
        open_now=request.POST.get("open_now") in ("1", "on", "true"),
    )
    return _("Poll created.")


def _poll(opening: bool) -> Handler:
    def handler(debate: Debate, request: HttpRequest) -> str:
        poll = selectors.poll_in_debate(debate, request.POST.get("poll"))
        if opening:
            services.poll_open(poll=poll, actor=request.user)
            return _("Poll open: citizens can vote.")
        services.poll_close(poll=poll, actor=request.user)
        return _("Poll closed.")

    return handler


def _clock(debate: Debate, request: HttpRequest) -> str:
    try:
        seconds = int(request.POST.get("seconds") or 60)
    except ValueError:
        raise ServiceError(_("The number of seconds must be a whole number.")) from None
    clock_action = request.POST.get("clock_action", "")
    services.clock_action(debate=debate, actor=request.user, action=clock_action, seconds=seconds)
    labels = {
        "start": _("Clock started."),
        "pause": _("Clock paused."),
        "resume": _("Clock resumed."),
        "extend": _("Time added."),
        "next": _("Next segment."),
        "reset": _("Clock reset."),
    }
    return labels.get(clock_action, _("Clock updated."))


def _status(debate: Debate, request: HttpRequest) -> str:
    updated = services.debate_set_status(debate=debate, status=request.POST.get("status", ""), actor=request.user)
    return _("The debate is now “%(status)s”.") % {"status": updated.get_status_display()}


def _screen(debate: Debate, request: HttpRequest) -> str:
    mode = request.POST.get("mode", "")
    poll = selectors.poll_in_debate(debate, request.POST.get("poll")) if mode == Debate.ScreenMode.POLL else None
    updated = services.screen_show(debate=debate, actor=request.user, mode=mode, poll=poll)
    return _("The screen now shows: %(mode)s.") % {"mode": updated.get_screen_mode_display()}


def _screen_reveal(debate: Debate, request: HttpRequest) -> str:
    services.screen_reveal(debate=debate, actor=request.user)
    return _("The results are on screen.")


def _undo(debate: Debate, request: HttpRequest) -> str:
    services.question_undo(question=_q(debate, request), actor=request.user, action=request.POST.get("undo", ""))
    return _("Undone.")


def _note(debate: Debate, request: HttpRequest) -> str:
    services.staff_note_post(debate=debate, actor=request.user, text=request.POST.get("text", ""))
    return _("Note sent to the officials.")


def _regenerate(debate: Debate, request: HttpRequest) -> str:
    services.screen_token_regenerate(debate=debate, actor=request.user)
    return _("New screen link: the old one no longer works.")


ACTIONS: dict[str, Handler] = {
    "approve": _approve,
    "reject": _reject,
    "bulk_approve": _bulk("approve"),
    "bulk_reject": _bulk("reject"),
    "edit": _edit,
    "merge": _merge,
    "star": _star(True),
    "unstar": _star(False),
    "onscreen": _onscreen,
    "clear_screen": _clear_screen,
    "answered": _answered,
    "answer": _answer,
    "mute": _mute(True),
    "unmute": _mute(False),
    "arg_hide": _argument("hidden"),
    "arg_restore": _argument("visible"),
    "poll_create": _poll_create,
    "poll_open": _poll(True),
    "poll_close": _poll(False),
    "clock": _clock,
    "status": _status,
    "regenerate_screen": _regenerate,
    "screen": _screen,
    "screen_reveal": _screen_reveal,
    "undo": _undo,
    "note": _note,
}
# Actions the console's toast offers to undo for a few seconds (debates.services.question_moderation.question_undo).
UNDOABLE = {"approve", "reject", "star", "unstar"}


@require_POST
def act(request: HttpRequest, code: str) -> HttpResponse:
    """One endpoint for every console action (field `action`); the services check the permissions."""
    debate = selectors.debate_for_staff(code, request.user)
    handler = ACTIONS.get(request.POST.get("action", ""))
    keys: set[str] = set()
    try:
        if handler is None:
            raise ServiceError(_("Unknown action."), status=400)
        with services.announced() as keys:
            message = handler(debate, request)
        status = 200
    except ServiceError as exc:
        message, status = exc.message, exc.status
    except Http404:
        message, status = _("This item does not exist in this debate (any more)."), 404
    if not is_htmx(request):
        if status != 200:
            return _forbidden_page(request, message, status=status, debate=debate)
        messages.success(request, message)
        return redirect("moderate", code=debate.code)
    action = request.POST.get("action", "")
    undo = action if status == 200 and action in UNDOABLE and request.POST.get("question") else None
    html = render_to_string(
        "debates/moderate.html#flash",
        {
            "message": message,
            "ok": status == 200,
            "oob": True,
            "undo": undo,
            "undo_question": request.POST.get("question"),
            "debate": debate,
        },
        request=request if undo else None,
    )
    if status == 200:
        debate.refresh_from_db()
        if keys:
            # Fresh widgets in the response too: the acting moderator sees the result even if their socket lags.
            frames = fragments.render(debate.pk, keys, [f"moderators.{request.LANGUAGE_CODE}"], None)
            html += "".join(h for _k, _v, h in next(iter(frames.values()), []))
        if request.POST.get("action") == "regenerate_screen":
            html += render_to_string(
                "debates/moderate.html#screenlink",
                {"debate": debate, "oob": True, **screen_link(request, debate)},
                request=request,
            )
    response = HttpResponse(html, status=status)
    if status != 200:
        response["HX-Trigger"] = json.dumps({"mod-refused": {"status": status}})
    return response


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
