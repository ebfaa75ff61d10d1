"""Projected screen, report and exports (issue 5)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def screen(request: HttpRequest, code: str, token: str = "") -> HttpResponse:
    return HttpResponse("screen: under construction", status=501)


def report(request: HttpRequest, code: str) -> HttpResponse:
    return HttpResponse("report: under construction", status=501)


def export(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    return HttpResponse("export: under construction", status=501)
