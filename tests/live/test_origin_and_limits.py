"""The websocket handshake: the Origin must be a public origin of the site (scheme, host and port), connects are
limited per client address (token bucket) and per process, and the client address is believed from
X-Forwarded-For only behind a trusted proxy."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from hub.asgi import application
from hub.proxies import client_address
from live.relay import CLOSE_TOO_MANY
from tests.factories import make_debate, make_moderator
from tests.live.test_moderation_consumer import _session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


async def handshake(
    path: str, origin: str | None, host: str = "127.0.0.1:8000", client: str = "10.1.1.1", cookie: bytes | None = None
) -> tuple[bool, int | None]:
    headers = [(b"host", host.encode())]
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    if cookie:
        headers.append((b"cookie", cookie))
    comm = WebsocketCommunicator(application, path, headers=headers)
    comm.scope["client"] = (client, 50000)
    ok, code = await comm.connect(timeout=5)
    if ok:
        out = await comm.receive_output(timeout=3)  # the first frame, or a close right after the accept
        if out["type"] == "websocket.close":
            ok, code = False, out.get("code")
    await comm.disconnect()
    return ok, code


@pytest.mark.parametrize(
    "origin,accepted",
    [
        ("https://debat.example.org", True),
        ("https://debat.example.org:443", True),
        ("https://127.0.0.1:1", False),  # the case: host-only checks let it in
        ("http://debat.example.org", False),  # wrong scheme
        ("https://debat.example.org:8443", False),  # wrong port
        ("https://evil.example", False),
        ("null", False),
        (None, False),
    ],
)
async def test_only_the_configured_public_origin_opens_a_socket(settings, origin, accepted):
    settings.PUBLIC_BASE_URL = "https://debat.example.org"
    settings.CSRF_TRUSTED_ORIGINS = ["https://debat.example.org"]
    settings.ALLOWED_HOSTS = ["debat.example.org", "127.0.0.1"]
    debate = await sync_to_async(make_debate)()
    ok, _code = await handshake(f"/ws/d/{debate.code}/", origin, host="debat.example.org")
    assert ok is accepted


async def test_the_moderators_socket_refuses_a_foreign_port_even_for_a_logged_in_moderator(settings):
    settings.PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    debate = await sync_to_async(make_debate)()
    cookie = await sync_to_async(_session_cookie)(await sync_to_async(make_moderator)(debate))
    path = f"/ws/d/{debate.code}/moderate/"
    assert (await handshake(path, "https://127.0.0.1:1", cookie=cookie))[0] is False
    assert (await handshake(path, "http://127.0.0.1:8000", cookie=cookie))[0] is True


async def test_without_configuration_the_origin_must_match_the_host_header(settings):
    settings.PUBLIC_BASE_URL = ""
    settings.CSRF_TRUSTED_ORIGINS = []
    settings.LIVE_ALLOWED_ORIGINS = []
    debate = await sync_to_async(make_debate)()
    path = f"/ws/d/{debate.code}/"
    assert (await handshake(path, "http://127.0.0.1:8000", host="127.0.0.1:8000"))[0] is True
    assert (await handshake(path, "https://127.0.0.1:1", host="127.0.0.1:8000"))[0] is False
    assert (await handshake(path, "http://evil.example:8000", host="evil.example:8000"))[0] is False  # ALLOWED_HOSTS


async def test_wildcard_trusted_origins_allow_subdomains_on_the_same_scheme_and_port(settings):
    settings.PUBLIC_BASE_URL = ""
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.org"]
    debate = await sync_to_async(make_debate)()
    path = f"/ws/d/{debate.code}/"
    assert (await handshake(path, "https://debat.example.org"))[0] is True
    assert (await handshake(path, "http://debat.example.org"))[0] is False
    assert (await handshake(path, "https://example.org.evil.com"))[0] is False


# --- connect limits -----------------------------------------------------------------------------------------------
async def test_connects_beyond_the_bucket_are_told_to_retry_later_and_other_addresses_are_not(settings):
    settings.LIVE_CONNECT_BURST = 5
    settings.LIVE_CONNECT_PER_SECOND = 0.01
    debate = await sync_to_async(make_debate)()
    path = f"/ws/d/{debate.code}/"
    origin = "http://127.0.0.1:8000"
    results = [await handshake(path, origin, client="10.9.9.9") for _ in range(7)]
    assert [ok for ok, _ in results] == [True] * 5 + [False] * 2
    assert results[-1][1] == CLOSE_TOO_MANY
    assert (await handshake(path, origin, client="10.9.9.10"))[0] is True  # a neighbour is not affected


async def test_the_default_bucket_lets_a_thousand_person_hall_in_within_a_minute(settings):
    burst, rate = settings.LIVE_CONNECT_BURST, settings.LIVE_CONNECT_PER_SECOND
    assert burst + rate * 60 >= 1000
    assert burst < 2000  # …while 2,000 sockets in a few seconds from one address are refused


async def test_the_process_cap_refuses_sockets_beyond_it(settings):
    settings.LIVE_MAX_SOCKETS_PER_PROCESS = 2
    debate = await sync_to_async(make_debate)()
    path = f"/ws/d/{debate.code}/"
    origin = "http://127.0.0.1:8000"
    kept = []
    for i in range(2):
        comm = WebsocketCommunicator(
            application, path, headers=[(b"host", b"127.0.0.1:8000"), (b"origin", origin.encode())]
        )
        comm.scope["client"] = (f"10.2.0.{i}", 1)
        assert (await comm.connect(timeout=5))[0]
        await comm.receive_from(timeout=3)
        kept.append(comm)
    ok, code = await handshake(path, origin, client="10.2.0.9")
    assert not ok and code == CLOSE_TOO_MANY
    for comm in kept:
        await comm.disconnect()


# --- client address -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "peer,forwarded,expected",
    [
        ("203.0.113.7", None, "203.0.113.7"),
        ("203.0.113.7", "1.2.3.4", "203.0.113.7"),  # not from a trusted proxy: the header is ignored
        ("10.0.0.2", "198.51.100.9", "198.51.100.9"),
        ("10.0.0.2", "6.6.6.6, 198.51.100.9", "198.51.100.9"),  # what the client itself prepended is ignored
        ("10.0.0.2", "198.51.100.9, 10.0.0.3", "198.51.100.9"),  # a chain of trusted proxies
        ("10.0.0.2", "not-an-address", "10.0.0.2"),
    ],
)
def test_the_client_address_comes_from_trusted_proxies_only(settings, peer, forwarded, expected):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    assert client_address({"client": (peer, 1234), "headers": headers}) == expected
