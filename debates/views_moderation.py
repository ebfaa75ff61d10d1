"""Moderation console views (issue 4)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def console(request: HttpRequest, code: str) -> HttpResponse:
    return HttpResponse("moderation console: under construction", status=501)


act = log = log_csv = console
