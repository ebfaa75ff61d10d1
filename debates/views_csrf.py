"""Our answer to a request Django's CSRF check refused (settings.CSRF_FAILURE_VIEW).

Django's default is a bare yellow page that, swapped into a live page or reached by a native post, throws a
moderator out of the console. Here an htmx request gets an inline message in the page's own flash area and
`HX-Reswap: none` (the page stays as it is); a plain post gets a page of ours that says what happened and leads
back to where the person was. Nothing was changed in either case, and we say so.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .views import is_htmx


def _back_url(request: HttpRequest) -> str:
    """Where the person came from (same site only), else the page the refused post belongs to."""
    referer = request.headers.get("Referer", "")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return urlsplit(referer).path or "/"
    path = request.path
    for suffix in ("/moderate/act", "/act"):
        if path.endswith(suffix):
            return path[: -len(suffix)] + ("/moderate/" if suffix == "/moderate/act" else "/")
    return "/"


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    message = _(
        "Your page's security token was missing or has expired, so nothing was changed. "
        "Try again; if it happens again, reload the page."
    )
    if is_htmx(request):
        # Both flash areas: the console's (#mod-flash) and the citizen page's (#flash); htmx swaps the one present.
        html = render_to_string("debates/moderate.html#flash", {"message": message, "ok": False, "oob": True})
        html += render_to_string("debates/_flash.html", {"message": message, "ok": False})
        response = HttpResponse(html, status=403)
        response["HX-Reswap"] = "none"
        response["HX-Trigger"] = json.dumps({"mod-refused": {"status": 403, "csrf": True}})
        return response
    return render(request, "csrf_failure.html", {"message": message, "back_url": _back_url(request)}, status=403)
