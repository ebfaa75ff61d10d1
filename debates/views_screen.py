"""Projected screen, report and exports."""

from __future__ import annotations

import json
import secrets

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from csp.decorators import csp_replace

from . import fragments, qr, report as report_data, selectors
from .breach import carries_secret
from .csvsafe import csv_response
from .models import Debate


@carries_secret  # its secret URL (the socket's), beside questions citizens wrote
@require_safe
# The console shows a live preview of the screen in a frame: this page alone may be framed, by this site only (it
# has no control to click; every other page keeps frame-ancestors 'none' and X-Frame-Options DENY).
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": ["'self'"]})  # type: ignore[arg-type]  # django-csp types views as (request)
def screen(request: HttpRequest, code: str, token: str = "") -> HttpResponse:
    """The projector page. No login: the secret link is the credential (regenerable by moderators)."""
    debate = selectors.debate_for_code(code)  # drafts are not shown
    if not token or not secrets.compare_digest(token.encode(), debate.screen_token.encode()):
        raise Http404("unknown screen link")
    ctx = fragments.page_context(debate, "screen")  # presence None: the socket's snapshot brings the live count
    ctx["token"] = token
    theme = request.GET.get("theme")
    ctx["theme"] = theme if theme in Debate.Theme.values else debate.screen_theme
    # Both codes are built here, with the hall's host (a broadcast has no request): the join code (once closed, the
    # report's rather than a page where nothing can be done), and the report's, which the closing slide shows (the
    # stylesheet picks one from the screen's mode).
    report_url = qr.absolute_url(reverse("report", args=[debate.code]), request)
    url = report_url if debate.is_closed else qr.citizen_url(debate, request)
    ctx["join_url"] = url
    ctx["join_display"] = qr.short_display(url)
    ctx["qr"] = qr.qr_svg(url)
    ctx["report_display"] = qr.short_display(report_url)
    ctx["report_qr"] = qr.qr_svg(report_url)
    # The screen speaks the debate's language, not the hall computer's browser's; its socket joins that audience.
    with translation.override(debate.language):
        response = render(request, "debates/screen.html", ctx)
    response["Content-Language"] = debate.language
    response["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    response["X-Robots-Tag"] = "noindex"
    return response


def _debate_for_report(request: HttpRequest, code: str) -> tuple[Debate, bool]:
    """Public once closed; moderators (and officials) of the debate at any time; drafts only to their moderators."""
    debate = selectors.debate_for_staff(code, request.user)
    staff = selectors.user_can_moderate(debate, request.user) or selectors.user_is_official(debate, request.user)
    if debate.status != Debate.Status.CLOSED and not staff:
        if debate.status == Debate.Status.DRAFT:
            raise Http404("unknown debate code")
        raise ReportNotOpen(debate)
    return debate, staff


class ReportNotOpen(PermissionDenied):
    """A visitor asked for the report of a debate still running: they are told when it opens, not that their
    account lacks a role (they have no account)."""

    def __init__(self, debate: Debate) -> None:
        super().__init__(_("The report opens when the debate closes."))
        self.debate = debate


def _report_not_open(request: HttpRequest, exc: ReportNotOpen) -> HttpResponse:
    return render(request, "debates/report_pending.html", {"debate": exc.debate}, status=403)


@require_safe
def report(request: HttpRequest, code: str) -> HttpResponse:
    try:
        debate, staff = _debate_for_report(request, code)
    except ReportNotOpen as exc:
        return _report_not_open(request, exc)
    # The report speaks the debate's language and shows its times in the debate's time zone, like the screen and
    # the poster: it is the debate's public record, whatever language the reader's browser last chose.
    with translation.override(debate.language), timezone.override(debate.tz):
        ctx = report_data.report_context(debate)
        ctx["is_staff"] = staff
        return render(request, "debates/report.html", ctx)


@require_safe
def export(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """export.json: the whole report in one document; export.csv?what=questions|polls|arguments|log: one table."""
    try:
        debate, _staff = _debate_for_report(request, code)
    except ReportNotOpen as exc:
        return _report_not_open(request, exc)
    if fmt == "json":
        response = JsonResponse(
            report_data.export_document(debate), json_dumps_params={"ensure_ascii": False, "indent": 2}
        )
        response["Content-Disposition"] = f'attachment; filename="debate-{debate.code}.json"'
        return response
    if fmt == "csv":
        what = request.GET.get("what", "questions")
        table = report_data.CSV_TABLES.get(what)
        if table is None:
            return HttpResponse(
                json.dumps({"error": "what must be one of " + ", ".join(report_data.CSV_TABLES)}),
                status=400,
                content_type="application/json",
            )
        header, rows = table(debate)
        return csv_response(f"debate-{debate.code}-{what}.csv", header, rows)
    raise Http404("unknown export format")
