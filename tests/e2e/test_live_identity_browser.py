"""The citizen page goes out compressed and so never carries the socket's live_token (debates/breach.py). A page
whose citizen became a participant after its socket connected fetches the token once from …/me and identifies its
socket with it; a participant's socket is them from the handshake on (the session cookie), on every reconnection,
with no token and no …/me; either way the author sees at once what moderators did with their question."""

from __future__ import annotations

import json

import pytest

from .conftest import requires_chromium
from .test_citizen_browser import TIMEOUT_MS, moderator_session

pytestmark = [pytest.mark.e2e, pytest.mark.browser, requires_chromium]

SETUP = """
import json
from datetime import timedelta
from django.utils import timezone
from debates.models import Debate
from tests.factories import make_moderator
d = Debate.objects.create(title="Conseil de quartier", status="live", premoderation=True, word_filter="",
                          opened_at=timezone.now(), scheduled_start=timezone.now() - timedelta(minutes=3),
                          scheduled_end=timezone.now() + timedelta(hours=2))
make_moderator(d, username="browser-mod")
print(json.dumps({"code": d.code}))
"""


def until(page, condition, timeout_ms: int = TIMEOUT_MS) -> None:
    for _ in range(timeout_ms // 50):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError("not within the time allowed")


def test_the_socket_is_identified_by_the_token_from_me_then_by_the_cookie_on_every_connect(daphne_server, browser):
    base = daphne_server.url
    code = json.loads(daphne_server.shell(SETUP).strip().splitlines()[-1])["code"]
    ctx = browser.new_context(extra_http_headers={"Accept-Language": "en"})
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    identified: list[str] = []
    page.on(
        "websocket",
        lambda ws: ws.on(
            "framesent",
            lambda frame: identified.append(json.loads(frame)["token"]) if '"identify"' in str(frame) else None,
        ),
    )
    identities: list[str] = []

    def on_socket(ws) -> None:
        ws.on(
            "framereceived",
            lambda frame: identities.append(json.loads(frame)["ref"]) if '"identity"' in str(frame)[:30] else None,
        )

    page.on("websocket", on_socket)
    asked_me: list[str] = []
    page.on("request", lambda request: asked_me.append(request.url) if request.url.endswith("/me") else None)

    # A newcomer asks a question: the answer names the token by its digest only, the page fetches it.
    page.goto(f"{base}/d/{code}/")
    page.wait_for_function("document.getElementById('presence').textContent.trim() !== ''")
    page.fill("#ask-text", "Et le marché du samedi ?")
    page.locator("#ask-form button[type=submit]").click()
    page.wait_for_function("document.querySelectorAll('#mine .status-pending').length === 1")
    until(page, lambda: len(identified) == 1)
    assert asked_me

    # The participant's page: compressed, no token in it. Its socket is them from the handshake on (the server read
    # the session cookie and says so first): no identify frame, no …/me.
    identified.clear()
    asked_me.clear()
    response = page.goto(f"{base}/d/{code}/")
    assert response.all_headers().get("content-encoding") == "gzip"
    html = response.text()
    assert '"live_ref"' in html and "live_token" not in html
    until(page, lambda: len(identities) == 1)
    ref = page.evaluate("JSON.parse(document.getElementById('me').textContent).live_ref")
    assert identities == [ref]
    page.wait_for_timeout(300)
    assert identified == [] and asked_me == []

    # A reconnection (here: the page's socket closed under it) is them again, by the same cookie.
    page.evaluate("document.getElementById('live')['htmx-internal-data'].webSocket.socket.close(4000)")
    page.wait_for_function("document.body.classList.contains('offline')")
    page.wait_for_function("!document.body.classList.contains('offline')", timeout=10_000)
    until(page, lambda: len(identities) == 2)
    assert identities == [ref, ref] and identified == [] and asked_me == []

    # …and that socket is the author's: a rejection reaches their page at once (a nudge, then …/me).
    question_id = page.evaluate("JSON.parse(document.getElementById('me').textContent).mine[0].id")
    mod_ctx, act = moderator_session(browser, base, code)
    act(action="reject", question=str(question_id), reason="Hors sujet")
    page.click("#tab-mine")  # "My questions"
    page.wait_for_selector("#mine .status-rejected", timeout=3000)
    assert "Hors sujet" in page.inner_text("#mine")
    mod_ctx.close()
    ctx.close()
    assert errors == []
