"""Two moderators and a citizen in real browsers, against a real daphne server.

The citizen asks; moderator A approves (with the keyboard: j then a); moderator B sees the question leave the queue;
the citizen sees it appear; moderator B puts it on screen and everyone sees it there.
"""

from __future__ import annotations

import pytest

from .conftest import SCREENSHOTS, requires_chromium

pytestmark = [pytest.mark.e2e, pytest.mark.browser, requires_chromium]

CODE = "MQDEAT"
TIMEOUT_MS = 10_000

SETUP = f"""
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from debates.models import AgendaSegment, Debate, DebateRole
User = get_user_model()
d = Debate.objects.create(title="Budget participatif 2027", code="{CODE}", status="live", opened_at=timezone.now(),
                          scheduled_start=timezone.now() - timedelta(minutes=5))
AgendaSegment.objects.create(debate=d, position=0, title="Questions du public", planned_seconds=900)
for name in ("moda", "modb"):
    u = User.objects.create_user(name, password="pw-" + name + "-123")
    DebateRole.objects.create(debate=d, user=u, role="moderator")
print(d.pk)
"""


def _login(browser, base: str, username: str, password: str):
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="en-GB", extra_http_headers={"Accept-Language": "en"}
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{base}/accounts/login/?next=/d/{CODE}/moderate/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/d/{CODE}/moderate/")
    return page


def _wait_connected(page) -> None:
    # The socket's first frame sets the server time; the reconnect banner stays hidden.
    page.wait_for_function(
        "document.getElementById('server-time') && document.getElementById('server-time').dataset.serverNowMs"
    )
    page.wait_for_function("document.getElementById('conn').hidden")


def test_two_moderators_and_a_citizen(daphne_server, browser):
    base = daphne_server.url
    daphne_server.shell(SETUP)
    mod_a = _login(browser, base, "moda", "pw-moda-123")
    mod_b = _login(browser, base, "modb", "pw-modb-123")
    citizen = browser.new_context(
        viewport={"width": 390, "height": 844}, extra_http_headers={"Accept-Language": "en"}
    ).new_page()
    citizen.set_default_timeout(TIMEOUT_MS)
    citizen.goto(f"{base}/d/{CODE}/")
    for page in (mod_a, mod_b, citizen):
        _wait_connected(page)

    text = "Quand les pistes cyclables de la rue Garibaldi seront-elles terminées ?"
    citizen.fill("#ask-text", text)
    citizen.click("#ask-form button[type=submit]")

    queued_a = mod_a.locator("#mod-queue li[data-q]", has_text=text)
    queued_b = mod_b.locator("#mod-queue li[data-q]", has_text=text)
    queued_a.wait_for()
    queued_b.wait_for()
    assert citizen.locator("#questions", has_text=text).count() == 0  # pre-moderated: not public yet

    # Moderator A selects it with the keyboard: B's console shows that A is on it (A's own does not).
    mod_a.locator("body").press("j")
    assert "selected" in (queued_a.get_attribute("class") or "")
    queued_b.locator(".handling", has_text="moda").wait_for()
    assert queued_a.locator(".handling").count() == 0
    mod_b.screenshot(path=str(SCREENSHOTS / "moderation-handling-e2e.png"))
    # …and approves it.
    mod_a.keyboard.press("a")

    queued_b.wait_for(state="detached")  # B sees it leave the queue…
    approved_b = mod_b.locator("#mod-approved li[data-q]", has_text=text)
    approved_b.wait_for()  # …and land in the approved list
    citizen.locator("#questions li.question", has_text=text).wait_for()  # the citizen sees it appear
    mod_a.locator("#mod-flash.success").wait_for()

    # Moderator B puts it on screen.
    approved_b.locator("button[value=onscreen]").click()
    for page, selector in ((mod_a, "#mod-onscreen"), (mod_b, "#mod-onscreen"), (citizen, "#onscreen")):
        page.locator(selector, has_text=text).wait_for()

    # A acting on the same question again is refused with who handled it.
    qid = approved_b.get_attribute("data-q")
    status = mod_a.evaluate(
        """async ([code, qid]) => {
            const r = await fetch(`/d/${code}/moderate/act`, {method: "POST", headers: {
              "X-CSRFToken": JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"], "HX-Request": "true",
              "Content-Type": "application/x-www-form-urlencoded"}, body: `action=approve&question=${qid}`});
            return [r.status, await r.text()];
        }""",
        [CODE, qid],
    )
    assert status[0] == 409 and "Already handled by moda" in status[1]

    SCREENSHOTS.mkdir(exist_ok=True)
    mod_b.screenshot(path=str(SCREENSHOTS / "moderation-console-e2e.png"))


def test_console_screenshot_with_demo_data(daphne_server, browser):
    """The console at 1440×900 on the demo debate: screenshots/moderation-console.png."""
    daphne_server.shell("from django.core.management import call_command; call_command('demo')")
    context = browser.new_context(viewport={"width": 1440, "height": 900}, extra_http_headers={"Accept-Language": "fr"})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{daphne_server.url}/accounts/login/?next=/d/MAIRE7/moderate/")
    page.fill("#id_username", "moderatrice")
    page.fill("#id_password", "demo-moderatrice")
    page.click("button[type=submit]")
    page.wait_for_url("**/d/MAIRE7/moderate/")
    _wait_connected(page)
    page.locator("body").press("j")
    page.wait_for_timeout(300)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "moderation-console.png"))
    assert page.locator("#mod-queue li[data-q]").count() >= 1
