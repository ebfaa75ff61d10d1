"""The organiser's pages: "My debates", create and edit a debate (settings, schedule, agenda), the print kit
(poster, screen sheet, how to run it), preview as a citizen. Staff by invitation: debates/views_organise_staff.py.

Thin views: forms validate, one service writes (debates.services.organising, debate_update_settings,
debate_set_status), a ServiceError becomes its status with its message. Access: the debate's administrators for
everything that changes it; its moderators for the print kit and the preview.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from .breach import carries_secret
from . import selectors, services
from .forms_organise import (
    AGENDA_ROWS_MIN,
    DebateForm,
    agenda_errors,
    agenda_rows,
    form_tz,
    time_zone_names,
)
from .models import Debate
from .permissions import can_manage_staff, can_organise, has_any_role, is_debate_admin
from .qr import absolute_url, citizen_url, qr_svg, short_display
from .services import ServiceError, organising


def _forbidden(request: HttpRequest, message: str, debate: Debate | None = None) -> HttpResponse:
    return render(request, "403.html", {"message": message, "status": 403, "debate": debate}, status=403)


def _debate(request: HttpRequest, code: str, *, admin: bool = True) -> tuple[Debate, HttpResponse | None]:
    """The debate by code for its staff (drafts included); a 403 page unless the user may see this page."""
    debate = Debate.objects.filter(code=(code or "").upper()).first()
    if debate is None or not has_any_role(debate, request.user):
        raise Http404("unknown debate code")
    if admin and not is_debate_admin(debate, request.user):
        return debate, _forbidden(request, _("Only this debate's administrators can change it."), debate)
    return debate, None


# --- My debates ---------------------------------------------------------------------------------------------------
@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    show_archived = request.GET.get("archived") == "1"
    groups = selectors.debates_of_staff(request.user, archived=show_archived)
    return render(
        request,
        "organise/dashboard.html",
        {
            "groups": groups,
            "can_organise": can_organise(request.user),
            "show_archived": show_archived,
            "empty": not any(items for _status, _label, items in groups),
        },
    )


# --- create and edit ----------------------------------------------------------------------------------------------
def _agenda_context(debate: Debate | None, rows: list[tuple[str, str]] | None) -> list[tuple[str, str]]:
    if rows is None:
        rows = [(s.title, str(s.planned_seconds // 60 or 1)) for s in debate.segments.all()] if debate else []
    return rows + [("", "")] * max(AGENDA_ROWS_MIN - len(rows), 1)


def _debate_page(
    request: HttpRequest, debate: Debate | None, form: DebateForm, rows: Any, errors: list[str], status: int = 200
) -> HttpResponse:
    ctx = {
        "debate": debate,
        "form": form,
        "agenda": _agenda_context(debate, rows),
        "agenda_errors": errors,
        "time_zones": time_zone_names(),
        "is_new": debate is None,
        "agenda_locked": debate is not None and debate.status not in (Debate.Status.DRAFT, Debate.Status.SCHEDULED),
    }
    if debate is not None:
        ctx.update(_debate_nav(request, debate))
    return render(request, "organise/debate_form.html", ctx, status=status)


def _validate(request: HttpRequest, debate: Debate | None) -> tuple[DebateForm, list[tuple[str, str]], list[str]]:
    rows = agenda_rows(request.POST)
    errors = agenda_errors(rows)
    with timezone.override(form_tz(request.POST, debate)):  # dates are typed in the debate's time zone
        form = DebateForm(request.POST, instance=debate)
        form.agenda_minutes = sum(int(m) for _t, m in rows if m.isdigit()) if not errors else 0
        form.is_valid()
    return form, rows, errors


@login_required
def create(request: HttpRequest) -> HttpResponse:
    if not can_organise(request.user):
        return _forbidden(
            request,
            _("Your account cannot create debates: ask an administrator for the “can organise debates” permission."),
        )
    source = None
    if request.method == "POST":
        form, rows, errors = _validate(request, None)
        if form.is_valid() and not errors:
            fields = {k: form.cleaned_data[k] for k in form.Meta.fields}
            try:
                debate = organising.debate_create(actor=request.user, segments=[(t, int(m)) for t, m in rows], **fields)
            except ServiceError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Debate created as a draft. Invite its staff, then announce it."))
                return redirect("organise_staff", code=debate.code)
        return _debate_page(request, None, form, rows, errors, status=400)
    initial = {
        "language": translation.get_language()
        if translation.get_language() in dict(settings.LANGUAGES)
        else settings.LANGUAGE_CODE
    }
    return _debate_page(request, source, DebateForm(initial=initial), None, [])


@login_required
def edit(request: HttpRequest, code: str) -> HttpResponse:
    debate, refused = _debate(request, code)
    if refused:
        return refused
    if request.method == "POST":
        form, rows, errors = _validate(request, debate)
        locked = debate.status not in (Debate.Status.DRAFT, Debate.Status.SCHEDULED)
        if form.is_valid() and not (errors and not locked):
            fields = {k: form.cleaned_data[k] for k in form.Meta.fields}
            try:
                services.debate_update_settings(debate=debate, actor=request.user, **fields)
                if not locked:
                    organising.agenda_replace(
                        debate=debate, actor=request.user, segments=[(t, int(m)) for t, m in rows]
                    )
            except ServiceError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("Saved."))
                return redirect("organise_edit", code=debate.code)
        debate.refresh_from_db()
        return _debate_page(request, debate, form, rows, errors, status=400)
    with timezone.override(debate.tz):
        form = DebateForm(instance=debate)
    return _debate_page(request, debate, form, None, [])


def _debate_nav(request: HttpRequest, debate: Debate) -> dict[str, Any]:
    """What every organiser page of a debate shows on top: its links and the next status move."""
    moves_by_status: dict[str, list[tuple[str, str]]] = {
        Debate.Status.DRAFT: [(Debate.Status.SCHEDULED, _("Announce it")), (Debate.Status.LIVE, _("Go live now"))],
        Debate.Status.SCHEDULED: [(Debate.Status.LIVE, _("Go live now")), (Debate.Status.DRAFT, _("Back to draft"))],
        Debate.Status.LIVE: [(Debate.Status.CLOSED, _("Close the debate"))],
        Debate.Status.CLOSED: [],
    }
    moves = moves_by_status[debate.status]
    return {
        "moves": moves,
        "is_admin": is_debate_admin(debate, request.user),
        "can_staff": can_manage_staff(debate, request.user),
    }


@login_required
@require_POST
def set_status(request: HttpRequest, code: str) -> HttpResponse:
    debate, refused = _debate(request, code)
    if refused:
        return refused
    status = request.POST.get("status", "")
    try:
        services.debate_set_status(debate=debate, status=status, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect(request.POST.get("next") or reverse("organise_edit", args=[debate.code]))
    if status == Debate.Status.LIVE:
        messages.success(request, _("The debate is live."))
        return redirect("moderate", code=debate.code)
    messages.success(request, _("Status changed."))
    return redirect("organise_edit", code=debate.code)


@login_required
@require_POST
def duplicate(request: HttpRequest, code: str) -> HttpResponse:
    debate, refused = _debate(request, code)
    if refused:
        return refused
    try:
        copy = organising.debate_duplicate(debate=debate, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("organise_dashboard")
    messages.success(request, _("A copy with the same settings and agenda: set its title and date."))
    return redirect("organise_edit", code=copy.code)


@login_required
@require_POST
def archive(request: HttpRequest, code: str) -> HttpResponse:
    debate, refused = _debate(request, code)
    if refused:
        return refused
    archived = request.POST.get("archived", "1") == "1"
    organising.debate_archive(debate=debate, actor=request.user, archived=archived)
    messages.success(request, _("Archived.") if archived else _("Back among your debates."))
    return redirect("organise_dashboard")


@login_required
@require_POST
def delete(request: HttpRequest, code: str) -> HttpResponse:
    debate, refused = _debate(request, code)
    if refused:
        return refused
    try:
        organising.debate_delete(debate=debate, actor=request.user)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("organise_edit", code=debate.code)
    messages.success(request, _("Draft deleted."))
    return redirect("organise_dashboard")


# --- print kit and preview ----------------------------------------------------------------------------------------
def _in_debate_language(debate: Debate):  # noqa: ANN202 — a context manager
    class _Both:
        def __enter__(self) -> None:
            self.t = translation.override(debate.language)
            self.z = timezone.override(debate.tz)
            self.t.__enter__()
            self.z.__enter__()

        def __exit__(self, *exc: Any) -> None:
            self.z.__exit__(*exc)
            self.t.__exit__(*exc)

    return _Both()


@login_required
@require_GET
def poster(request: HttpRequest, code: str) -> HttpResponse:
    """The A4 poster, in the debate's language and time zone. Never carries the screen's secret link."""
    debate, _refused = _debate(request, code, admin=False)
    url = citizen_url(debate, request)
    with _in_debate_language(debate):
        return render(
            request,
            "organise/poster.html",
            {
                "debate": debate,
                "join_url": url,
                "join_short": short_display(url),
                "qr": qr_svg(url, border=1),
                "lang_dir": "rtl" if translation.get_language_bidi() else "ltr",
            },
        )


@carries_secret  # the screen link
@login_required
@require_GET
@never_cache
def screen_sheet(request: HttpRequest, code: str) -> HttpResponse:
    """For the hall's computer only: the screen's secret link as a QR. Moderators only; never on the poster."""
    debate, _refused = _debate(request, code, admin=False)
    if not selectors.user_can_moderate(debate, request.user):
        return _forbidden(request, _("Only this debate's moderators see the screen link."), debate)
    url = absolute_url(reverse("screen", args=[debate.code, debate.screen_token]), request)
    return render(request, "organise/screen_sheet.html", {"debate": debate, "screen_url": url, "qr": qr_svg(url)})


@login_required
@require_GET
def howto(request: HttpRequest, code: str) -> HttpResponse:
    """One page for moderators: how to run this debate."""
    debate, _refused = _debate(request, code, admin=False)
    url = citizen_url(debate, request)
    with timezone.override(debate.tz):
        return render(
            request,
            "organise/howto.html",
            {
                "debate": debate,
                "join_short": short_display(url),
                "console_url": absolute_url(reverse("moderate", args=[debate.code]), request),
                "segments": list(debate.segments.all()),
            },
        )


@login_required
@require_GET
def preview(request: HttpRequest, code: str) -> HttpResponse:
    """The citizen page as citizens will see it, drafts included, with a banner (nothing can be posted to a
    draft: the services refuse it)."""
    from .views import citizen_context

    debate, _refused = _debate(request, code, admin=False)
    ctx = citizen_context(request, debate)
    ctx["preview_banner"] = True
    return render(request, "debates/citizen.html", ctx)
