"""The whole stack, for real: daphne on 127.0.0.1, two `websockets` clients, votes posted over HTTP.

Runs on the embedded default (in-memory channel layer) and, when REDIS_URL is set, a second time on Redis.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import os
import re
import time
import urllib.parse
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

pytestmark = pytest.mark.e2e

SETUP = """
from debates import services
from tests.factories import make_debate, make_poll
d = make_debate(title="Débat e2e", word_filter="")
p = make_poll(d)
import json
print(json.dumps({"code": d.code, "poll": p.pk, "options": list(p.options.values_list("pk", flat=True))}))
"""


@pytest.fixture(params=["embedded", "redis"])
def stack(request, monkeypatch):
    """A daphne server on the in-memory layer, or on Redis (only when REDIS_URL is set)."""
    if request.param == "redis":
        if not os.environ.get("REDIS_URL"):
            pytest.skip("needs REDIS_URL=redis://…")
    else:
        monkeypatch.delenv("REDIS_URL", raising=False)
    server = request.getfixturevalue("daphne_server")
    data = json.loads(server.shell(SETUP).strip().splitlines()[-1])
    return server, data


class Citizen:
    """A browser without JavaScript: a cookie jar, the CSRF token from the page, htmx-style POSTs."""

    def __init__(self, base: str, code: str) -> None:
        self.base, self.code = base, code
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.open(f"{base}/d/{code}/", timeout=10).read()
        self.csrf = next(c.value for c in self.jar if c.name == "csrftoken")

    def post(self, path: str, data: dict) -> tuple[int, str]:
        req = urllib.request.Request(
            f"{self.base}/d/{self.code}/{path}",
            data=urllib.parse.urlencode(data).encode(),
            headers={"X-CSRFToken": self.csrf, "HX-Request": "true"},
        )
        try:
            with self.opener.open(req, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()


async def wait_for(ws, pattern: str, timeout: float) -> tuple[str, float]:
    deadline = time.monotonic() + timeout
    seen = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"{pattern!r} not received within {timeout}s; got {[s[:160] for s in seen]}")
        try:
            text = await asyncio.wait_for(ws.recv(), timeout=left)
        except asyncio.TimeoutError:
            continue
        seen.append(text)
        if re.search(pattern, text, re.S):
            return text, time.monotonic()


async def quiet(ws, for_seconds: float = 0.5) -> None:
    """Read until nothing arrives for a while (snapshot, presence updates)."""
    while True:
        try:
            await asyncio.wait_for(ws.recv(), timeout=for_seconds)
        except asyncio.TimeoutError:
            return


async def test_a_vote_over_http_reaches_two_sockets_within_a_second_with_the_exact_count(stack):
    """The issue's end-to-end test, plus the state API agreeing and the handshake's refusals."""
    server, data = stack
    base, code, poll, (yes, no, _abstain) = server.url, data["code"], data["poll"], data["options"]
    ws_url = base.replace("http://", "ws://") + f"/ws/d/{code}/?lang=en"
    results = rf'id="poll-{poll}-results"'

    async with connect(ws_url, origin=base) as a, connect(ws_url, origin=base) as b:
        first = await wait_for(a, r'id="polls"', 5)
        assert results in first[0] or 'id="polls"' in first[0]
        await asyncio.gather(quiet(a), quiet(b))

        citizen = await asyncio.to_thread(Citizen, base, code)
        sent = time.monotonic()
        status, body = await asyncio.to_thread(citizen.post, f"poll/{poll}/vote", {"option": yes})
        assert status == 200, body
        (text_a, at_a), (text_b, at_b) = await asyncio.gather(
            wait_for(a, results + r".*\b1 vote\b", 3), wait_for(b, results + r".*\b1 vote\b", 3)
        )
        assert at_a - sent < 1.0 and at_b - sent < 1.0, (at_a - sent, at_b - sent)
        assert "<strong>100 %</strong> · 1" in text_a and text_a == text_b

        # A burst from several citizens, one of them changing their mind: both sockets end on the exact count.
        others = [await asyncio.to_thread(Citizen, base, code) for _ in range(4)]
        for c in others:
            assert (await asyncio.to_thread(c.post, f"poll/{poll}/vote", {"option": no}))[0] == 200
        sent = time.monotonic()  # the last vote: the final count must follow it within a second
        assert (await asyncio.to_thread(citizen.post, f"poll/{poll}/vote", {"option": no}))[0] == 200
        (text_a, at_a), (text_b, at_b) = await asyncio.gather(
            # 5 votes is also the count before the change of mind (1 yes, 4 no): wait for the final split.
            wait_for(a, results + r".*100 %</strong> · 5\b", 3),
            wait_for(b, results + r".*100 %</strong> · 5\b", 3),
        )
        assert at_a - sent < 1.0 and at_b - sent < 1.0, (at_a - sent, at_b - sent)
        assert "5 votes" in text_a and text_a == text_b

        # The state API says the same.
        state = json.loads(await asyncio.to_thread(lambda: urllib.request.urlopen(f"{base}/api/d/{code}/state").read()))
        assert [o["votes"] for o in state["polls"][0]["options"]] == [0, 5, 0]

        # Bad input over the real server: 4xx, and the sockets get nothing new.
        status, body = await asyncio.to_thread(citizen.post, f"poll/{poll}/vote", {"option": "999999"})
        assert status == 400
        status, _ = await asyncio.to_thread(citizen.post, "ask", {"text": ""})
        assert status == 400

        # The handshake checks the Origin, and an unknown code closes the socket.
        ws = base.replace("http://", "ws://")
        with pytest.raises(InvalidStatus):
            async with connect(f"{ws}/ws/d/{code}/", origin="http://evil.example"):
                pass
        try:
            async with connect(f"{ws}/ws/d/ZZZZZZ/", origin=base) as sock:
                await asyncio.wait_for(sock.recv(), timeout=3)
                raise AssertionError("an unknown code was accepted")
        except InvalidStatus:
            pass  # refused at the handshake
        except ConnectionClosed as exc:
            assert exc.rcvd is None or exc.rcvd.code == 4404
        # The two good sockets are still served.
        await asyncio.gather(quiet(a, 0.1), quiet(b, 0.1))
        assert a.state.name == "OPEN" and b.state.name == "OPEN"
