"""The client's address, believed from X-Forwarded-For only when the connection comes from a trusted proxy.

Daphne's `--proxy-headers` believes X-Forwarded-For from anyone who sends it: any client could then pick the
address its limits are counted under. So daphne runs *without* it and this ASGI wrapper rewrites `scope["client"]`
(what Django's REMOTE_ADDR and the websocket limits read) when, and only when, the TCP peer is in TRUSTED_PROXIES
(comma-separated addresses or networks, e.g. `10.0.0.0/8,127.0.0.1`; default none). The client is then the
right-most address of X-Forwarded-For that is not itself a trusted proxy, so an address a client prepends is
ignored.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=4)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(e.strip(), strict=False) for e in entries if e.strip())


def trusted(address: str) -> bool:
    networks = _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


def client_address(scope: dict[str, Any]) -> str | None:
    """The client's address for this scope (see the module docstring)."""
    client = scope.get("client")
    peer = client[0] if client else None
    if peer is None or not trusted(peer):
        return peer
    forwarded = b",".join(v for k, v in scope.get("headers") or [] if k == b"x-forwarded-for")
    chain = [a.strip() for a in forwarded.decode("latin1").split(",") if a.strip()]
    for address in reversed(chain):
        try:
            ipaddress.ip_address(address)
        except ValueError:
            return peer  # a malformed header: believe nothing in it
        if not trusted(address):
            return address
    return chain[0] if chain else peer


class TrustedProxies:
    """ASGI wrapper: scope["client"] becomes the real client's address behind trusted proxies."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict, receive: Any, send: Any) -> Any:
        if scope["type"] in ("http", "websocket") and scope.get("client"):
            address = client_address(scope)
            if address != scope["client"][0]:
                scope = dict(scope, client=(address, 0))
        return await self.application(scope, receive, send)
