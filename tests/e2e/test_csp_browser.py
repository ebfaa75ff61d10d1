"""Content-Security-Policy in a real browser (issue 12, item 7): every page loads without a single CSP violation in
chromium's console, htmx posts and the websocket still work under the policy."""

from __future__ import annotations

import json

import pytest

from .conftest import requires_chromium

pytestmark = [pytest.mark.e2e, pytest.mark.browser, requires_chromium]

CODE = "CSPTE7"
SETUP = f"""
import json
from django.contrib.auth import get_user_model
from django.utils import timezone
from debates import services
from debates.models import AgendaSegment, Debate, DebateRole
User = get_user_model()
d = Debate.objects.create(title="Politique de sécurité", code="{CODE}", status="live", opened_at=timezone.now(),
                          premoderation=False)
AgendaSegment.objects.create(debate=d, position=0, title="Questions", planned_seconds=600)
mod = User.objects.create_user("csp-mod", password="pw-csp-mod-123", is_staff=True, is_superuser=True)
DebateRole.objects.create(debate=d, user=mod, role="moderator")
p = services.participant_join(debate=d, display_name="Ana")
services.question_submit(debate=d, participant=p, text="Une question avec des barres ?")
poll = services.poll_create(debate=d, actor=mod, text="Pour ou contre ?", kind="yna", options=(), open_now=True,
                            results="live")
services.vote_cast(poll=poll, participant=p, option_id=poll.options.first().pk)
print(json.dumps({{"token": d.screen_token, "poll": poll.pk}}))
"""


def _watch(page, found: list[str]) -> None:
    def on_console(msg) -> None:
        text = msg.text
        if "Content Security Policy" in text or "Refused to" in text:
            found.append(f"{page.url}: {text}")

    page.on("console", on_console)


def test_every_page_loads_without_a_csp_violation_and_htmx_and_sockets_work(daphne_server, browser):
    base = daphne_server.url
    ids = json.loads(daphne_server.shell(SETUP).strip().splitlines()[-1])
    violations: list[str] = []
    context = browser.new_context(extra_http_headers={"Accept-Language": "en"}, bypass_csp=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    _watch(page, violations)

    response = page.goto(f"{base}/d/{CODE}/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    # htmx under the policy: a question is posted and answered in place; the socket delivers the new list.
    page.fill("#ask-text", "Posée sous CSP ?")
    page.click("#ask-form button[type=submit]")
    page.wait_for_selector("text=Thank you", timeout=10_000)
    page.wait_for_selector("text=Posée sous CSP ?", timeout=10_000)

    for path in ("/", f"/d/{CODE}/report/", f"/d/{CODE}/screen/{ids['token']}/", "/accounts/login/"):
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", "csp-mod")
    page.fill("#id_password", "pw-csp-mod-123")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    for path in (
        f"/d/{CODE}/moderate/",
        f"/d/{CODE}/moderate/settings/",
        f"/d/{CODE}/moderate/log/",
        "/admin/",
        "/admin/debates/debate/",
    ):
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
    page.goto(f"{base}/d/{CODE}/moderate/")
    page.wait_for_timeout(500)  # let the console's socket connect and its first fragments arrive
    assert violations == []
