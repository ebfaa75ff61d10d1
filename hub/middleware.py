"""Middleware of the hub's own (wiring, not domain).

Every class here is a MiddlewareMixin whose request hooks never touch the database for ordinary requests: the hot
path (hub/hot_path.py) runs them on the event loop for votes in a burst.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.deprecation import MiddlewareMixin
from django.utils.functional import SimpleLazyObject

log = logging.getLogger(__name__)

HEALTH_PATHS = frozenset({"/healthz", "/healthz/"})
_redis_clients: dict[str, Any] = {}  # one client (and connection pool) per URL, made on first use


def _check_database() -> str:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_redis() -> str:
    url = settings.REDIS_URL
    if not url:
        return "not configured"
    client = _redis_clients.get(url)
    if client is None:
        import redis

        timeout = settings.HEALTH_CHECK_TIMEOUT
        client = _redis_clients[url] = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    client.ping()
    return "ok"


def health() -> tuple[dict[str, str], bool]:
    """The state of what the service needs: ({"database": …, "redis": …}, all healthy)."""
    report: dict[str, str] = {}
    healthy = True
    for name, check in (("database", _check_database), ("redis", _check_redis)):
        try:
            report[name] = check()
        except Exception as exc:  # any failure of a dependency is an unhealthy answer, never a 500
            log.warning("health check: %s unavailable: %r", name, exc)
            report[name] = "unavailable"
            healthy = False
    return report, healthy


class HealthCheckMiddleware(MiddlewareMixin):
    """`GET /healthz` for load balancers, answered before any other middleware.

    First in MIDDLEWARE on purpose: a load balancer probes each backend by its address (Host: 10.0.0.7:8000), over
    plain HTTP, so the check must not be refused by ALLOWED_HOSTS (CommonMiddleware) nor redirected to HTTPS
    (SecurityMiddleware). It reveals nothing but the state of the database and Redis.
    """

    hot_path_safe = True  # only /healthz (never a hot URL) touches the database

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        if request.path_info not in HEALTH_PATHS:
            return None
        if request.method not in ("GET", "HEAD"):
            return JsonResponse({"error": "GET only"}, status=405, headers={"Allow": "GET, HEAD"})
        report, healthy = health()
        response = JsonResponse({"status": "ok" if healthy else "degraded", **report}, status=200 if healthy else 503)
        response["Cache-Control"] = "no-store"
        return response


class StaffSessionAuthenticationMiddleware(AuthenticationMiddleware):
    """Django's AuthenticationMiddleware, plus: a signed-in session that was revoked (logout elsewhere, last role
    removed) or is older than STAFF_SESSION_AGE resolves to an anonymous user (debates.staff_sessions).

    Like Django's, request.user stays lazy: its query runs only when a view or role check looks at the user, so the
    hot path (which runs this hook on the event loop and never looks) does not touch the database.
    """

    hot_path_safe = True

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _current_user(request))  # type: ignore[assignment]  # as Django's

        async def auser() -> Any:
            from asgiref.sync import sync_to_async

            return await sync_to_async(_current_user)(request)

        request.auser = auser


def _current_user(request: HttpRequest) -> Any:
    if not hasattr(request, "_current_staff_user"):
        from debates import staff_sessions

        user = auth.get_user(request)
        if user.is_authenticated and not staff_sessions.is_current(request.session, user):
            staff_sessions.forget(request.session)
            user = AnonymousUser()
        request._current_staff_user = user  # type: ignore[attr-defined]
    return request._current_staff_user  # type: ignore[attr-defined]


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


class GuessLimitMiddleware(MiddlewareMixin):
    """Failed guesses of join codes and screen secrets, counted per address (debates.limits): once over the limit, a
    request naming a code or a secret answers 429 before any lookup, whether the code exists or not, so guessing
    reveals nothing. Only failures count: a hall of citizens typing the right code is never slowed.

    The hot path runs these hooks on the event loop, where a Redis round trip must not happen: there they do
    nothing (a hot request with an unknown code is replayed through Django, which runs them in a thread).
    """

    hot_path_safe = True  # its hooks do nothing on the event loop (above)

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: dict[str, Any]) -> HttpResponse | None:
        rule = _guess_rule(kwargs)
        if rule is None or _on_event_loop():
            return None
        from debates import limits

        if limits.over(rule, limits.client_address(request)):
            from django.shortcuts import render
            from django.utils.translation import gettext as _

            response = render(
                request,
                "403.html",
                {
                    "status": 429,
                    "message": _("Too many wrong codes from your connection. Please wait a minute and try again."),
                },
                status=429,
            )
            response["Retry-After"] = str(limits.rule(rule).window)
            return response
        return None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        match = getattr(request, "resolver_match", None)
        if response.status_code == 404 and match is not None and not _on_event_loop():
            rule = _guess_rule(match.kwargs)
            if rule is not None:
                from debates import limits

                limits.record_failure(rule, limits.client_address(request))
        return response


def _guess_rule(kwargs: dict[str, Any]) -> str | None:
    if "token" in kwargs:
        return "screen_guess"
    if "code" in kwargs:
        return "code_guess"
    return None


DEGRADED_RETRY_AFTER = 5  # seconds: what a 503 tells browsers and load balancers


class DatabaseUnavailableMiddleware(MiddlewareMixin):
    """The database unreachable (connect or pool timeout, connection lost): a clear 503 instead of a bare 500.

    Nothing was stored (the transaction did not commit), so the citizen may send again: htmx pages keep what was
    typed on any refusal. The page says the service is degraded and will recover by itself; it does, since every
    request asks the pool for a connection again. Rendered without the database (no user, no session lookup).
    """

    # Only an exception hook: on the hot path a failed batch is replayed through Django, where it applies.
    hot_path_safe = True

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.db import InterfaceError, OperationalError

        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        log.warning("database unavailable: %r (%s %s)", exception, request.method, request.path)
        from django.template.loader import render_to_string
        from django.utils.translation import gettext as _

        message = _(
            "The service is degraded: the database cannot be reached right now. Nothing was lost of what "
            "was already saved; please try again in a few seconds."
        )
        if request.headers.get("HX-Request") == "true":
            html = render_to_string("debates/_flash.html", {"message": message, "ok": False})
        else:
            html = render_to_string("503.html", {"message": message})
        response = HttpResponse(html, status=503)
        response["Retry-After"] = str(DEGRADED_RETRY_AFTER)
        response["Cache-Control"] = "no-store"
        return response
