"""The websocket handshake's Origin must be one of the site's public origins: scheme, host and port.

Channels' AllowedHostsOriginValidator compares the host only (`https://127.0.0.1:1` opened the moderators'
socket of a server at http://127.0.0.1:8000). Allowed: LIVE_ALLOWED_ORIGINS if set, else PUBLIC_BASE_URL and
CSRF_TRUSTED_ORIGINS (entries may start with `*.` for subdomains, as Django allows there). TLS usually ends at the
load balancer, so the public origin is `https://…` while the server itself speaks plain HTTP: only the configured
origins count, never the scheme the server sees. With nothing configured (development, tests) the Origin must be
the same origin as the request's Host header, with that host in ALLOWED_HOSTS. A handshake without an Origin
(not a browser) is refused too.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
SCHEMES = {"ws": "http", "wss": "https"}


def normalize(origin: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin, ports made explicit; None if it is not an http(s) origin."""
    try:
        parts = urlsplit(origin.strip())
        scheme = SCHEMES.get(parts.scheme.lower(), parts.scheme.lower())
        host = (parts.hostname or "").lower()
        port = parts.port or DEFAULT_PORTS.get(scheme)
    except ValueError:
        return None
    if scheme not in ("http", "https") or not host or port is None:
        return None
    return scheme, host, port


@lru_cache(maxsize=8)
def _configured(entries: tuple[str, ...]) -> tuple[tuple[str, str, int], ...]:
    return tuple(o for o in (normalize(e) for e in entries) if o is not None)


def configured_origins() -> tuple[tuple[str, str, int], ...]:
    entries = list(getattr(settings, "LIVE_ALLOWED_ORIGINS", []) or [])
    if not entries:
        entries = (
            [settings.PUBLIC_BASE_URL, *settings.CSRF_TRUSTED_ORIGINS]
            if settings.PUBLIC_BASE_URL
            else list(settings.CSRF_TRUSTED_ORIGINS)
        )
    return _configured(tuple(e for e in entries if e))


def _matches(origin: tuple[str, str, int], allowed: tuple[str, str, int]) -> bool:
    scheme, host, port = allowed
    if host.startswith("*."):
        return origin[0] == scheme and origin[2] == port and (origin[1].endswith(host[1:]) or origin[1] == host[2:])
    return origin == allowed


def origin_allowed(scope: dict[str, Any]) -> bool:
    headers = dict(scope.get("headers") or [])
    raw = headers.get(b"origin")
    if not raw:
        return False
    origin = normalize(raw.decode("latin1"))
    if origin is None:
        return False
    allowed = configured_origins()
    if allowed:
        return any(_matches(origin, a) for a in allowed)
    host_header = headers.get(b"host", b"").decode("latin1").lower()
    if not host_header:
        return False
    domain, _port = split_domain_port(host_header)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    same = normalize(f"{origin[0]}://{host_header}")
    return same == origin


class PublicOriginValidator:
    """ASGI wrapper refusing websocket handshakes whose Origin is not a public origin of the site (403)."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
