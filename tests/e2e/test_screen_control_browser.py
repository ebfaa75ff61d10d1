"""The moderator drives the projected screen from the console, one key each, and the screen (1920×1080 and
1280×720) shows exactly that: welcome, the question, a hidden poll's options and count then its revealed bars,
a blank screen, the closing slide. The console's preview follows. Screenshots of each state."""

from __future__ import annotations

import json

import pytest

from .conftest import SCREENSHOTS, requires_chromium
from .test_console_keyboard_browser import login, wait_connected

pytestmark = [pytest.mark.e2e, pytest.mark.browser, requires_chromium]

CODE = "PILOT4"
TIMEOUT_MS = 10_000

SETUP = f"""
import json
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from debates import services
from debates.models import AgendaSegment, Debate, DebateRole
User = get_user_model()
d = Debate.objects.create(title="Conseil de quartier : mobilités 2030", code="{CODE}", status="live", language="fr",
                          description="Le maire répond à vos questions sur les transports du quartier.",
                          opened_at=timezone.now(), scheduled_start=timezone.now() - timedelta(minutes=5))
AgendaSegment.objects.create(debate=d, position=0, title="Questions du public", planned_seconds=900)
mod = User.objects.create_user("pilote", password="pw-pilote-123")
DebateRole.objects.create(debate=d, user=mod, role="moderator")
p = services.participant_join(debate=d, display_name="Karim")
q = services.question_approve(question=services.question_submit(debate=d, participant=p,
    text="Quand le tram arrivera-t-il au quartier Nord ?"), actor=mod)
poll = services.poll_create(debate=d, actor=mod, text="Quelle priorité pour le budget mobilités ?", kind="choice",
    options=["Pistes cyclables", "Tramway", "Bus de nuit", "Trottoirs"], open_now=True, results="hidden")
for i in range(7):
    services.vote_cast(poll=poll, participant=services.participant_join(debate=d), option_id=poll.options.all()[i % 3].pk)
services.clock_action(debate=d, actor=mod, action="start")
print(json.dumps({{"token": d.screen_token, "q": q.pk}}))
"""


def stage(page) -> str:
    return page.locator("#screen-question").get_attribute("data-mode") or ""


def test_moderator_drives_the_screen_with_keys(daphne_server, browser):
    base = daphne_server.url
    ids = json.loads(daphne_server.shell(SETUP).strip().splitlines()[-1])
    screens = []
    for w, h in ((1920, 1080), (1280, 720)):
        page = browser.new_context(
            viewport={"width": w, "height": h}, extra_http_headers={"Accept-Language": "en"}
        ).new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{base}/d/{CODE}/screen/{ids['token']}/")
        wait_connected(page)
        screens.append(page)
    big, small = screens
    assert big.locator("html").get_attribute("lang") == "fr"  # the debate's language, whatever the browser's
    mod = login(browser, base, "pilote", "pw-pilote-123", f"/d/{CODE}/moderate/")
    wait_connected(mod)
    SCREENSHOTS.mkdir(exist_ok=True)

    def press(key: str, mode: str) -> None:
        mod.locator("body").press(key)
        for page in screens:
            page.wait_for_function(f"document.getElementById('screen-question').dataset.mode === '{mode}'")
        mod.wait_for_function(f"document.getElementById('mod-screenctl').dataset.mode === '{mode}'")

    press("w", "welcome")
    assert "Conseil de quartier" in big.locator("#screen-question").inner_text()
    assert big.locator(".s-join-live").is_visible()
    big.screenshot(path=str(SCREENSHOTS / "screen-welcome-1920.png"))

    press("p", "poll")
    poll = big.locator("#screen-poll")
    poll.locator(".s-options").wait_for()
    text = poll.text_content()
    assert "Tramway" in text and "Trottoirs" in text and "7 votes" in text
    assert poll.locator(".s-bars").count() == 0  # hidden results: options and count only
    big.screenshot(path=str(SCREENSHOTS / "screen-poll-hidden-1920.png"))
    press("v", "poll")
    for page in screens:
        page.locator("#screen-poll .s-bars").wait_for()
    big.screenshot(path=str(SCREENSHOTS / "screen-poll-revealed-1920.png"))
    small.screenshot(path=str(SCREENSHOTS / "screen-poll-revealed-1280.png"))

    mod.locator(f"#ma-{ids['q']} button[value=onscreen]").click()
    for page in screens:
        page.locator("#screen-question", has_text="quartier Nord").wait_for()
    assert stage(big) == "question"

    press("b", "blank")
    assert not big.locator("#screen-status").is_visible()
    press("c", "closing")
    assert big.locator(".s-join-report").is_visible() and not big.locator(".s-join-live").is_visible()
    big.screenshot(path=str(SCREENSHOTS / "screen-closing-1920.png"))
    for page in screens:
        dims = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.scrollHeight, innerWidth, innerHeight]"
        )
        assert dims[0] <= dims[2] and dims[1] <= dims[3], dims
    # The console's preview is the real screen, live.
    preview = mod.frame_locator(".screen-preview iframe")
    preview.locator("#screen-question[data-mode=closing]").wait_for()
    mod.screenshot(path=str(SCREENSHOTS / "console-screen-control-1440.png"))
