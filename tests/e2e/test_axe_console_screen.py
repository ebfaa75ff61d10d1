"""axe-core on the pages of the console's lane: no serious or critical violation on the moderation console (as a
moderator and as an official), the log, the settings, the projected screen (dark and light, each mode), the CSRF
failure page. Uses the shared helper tests/e2e/axe.py."""

from __future__ import annotations

import json

import pytest

from .axe import assert_accessible
from .conftest import requires_chromium
from .test_console_keyboard_browser import login, wait_connected
from .test_screen_control_browser import SETUP, CODE

pytestmark = [pytest.mark.e2e, pytest.mark.browser, requires_chromium]

MORE = f"""
from django.contrib.auth import get_user_model
from debates import services
from debates.models import Debate, DebateRole
d = Debate.objects.get(code="{CODE}")
mod = get_user_model().objects.get(username="pilote")
maire = get_user_model().objects.create_user("maire-axe", password="pw-maire-axe-123")
DebateRole.objects.create(debate=d, user=maire, role="official", title="Maire")
p = services.participant_join(debate=d, display_name="Inès")
services.question_submit(debate=d, participant=p, text="Une question en attente sur les parkings ?")
services.question_merge(duplicate=services.question_submit(debate=d, participant=p, text="Et le tram, quand ?"),
                        into=d.questions.get(text__startswith="Quand le tram"), actor=mod)
"""


def test_console_log_settings_and_screen_have_no_serious_violation(daphne_server, browser):
    base = daphne_server.url
    ids = json.loads(daphne_server.shell(SETUP).strip().splitlines()[-1])
    daphne_server.shell(MORE)
    mod = login(browser, base, "pilote", "pw-pilote-123", f"/d/{CODE}/moderate/")
    wait_connected(mod)
    mod.locator("body").press("j")
    assert_accessible(mod, label="console (moderator)")
    mod.goto(f"{base}/d/{CODE}/moderate/log/")
    assert_accessible(mod, label="moderation log")
    mod.goto(f"{base}/d/{CODE}/moderate/settings/")
    assert_accessible(mod, label="settings")
    official = login(browser, base, "maire-axe", "pw-maire-axe-123", f"/d/{CODE}/moderate/")
    wait_connected(official)
    assert_accessible(official, label="console (official)")
    for theme in ("dark", "light"):
        screen = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
        screen.goto(f"{base}/d/{CODE}/screen/{ids['token']}/?theme={theme}")
        wait_connected(screen)
        assert_accessible(screen, label=f"screen {theme}")
        for key, mode in (("w", "welcome"), ("p", "poll"), ("v", "poll"), ("c", "closing")):
            mod.goto(f"{base}/d/{CODE}/moderate/") if not mod.url.endswith("/moderate/") else None
            wait_connected(mod)
            mod.locator("body").press(key)
            screen.wait_for_function(f"document.getElementById('screen-question').dataset.mode === '{mode}'")
            screen.wait_for_timeout(300)
            assert_accessible(screen, label=f"screen {theme} {mode} after {key}")
        mod.locator("body").press("q")
        screen.wait_for_function("document.getElementById('screen-question').dataset.mode === 'question'")
        screen.context.close()
    # The CSRF failure page (a plain post without a token).
    anon = browser.new_context().new_page()
    anon.goto(f"{base}/d/{CODE}/")
    anon.evaluate(
        """(code) => { const f = document.createElement('form'); f.method = 'post'; f.action = `/d/${code}/ask`;
        document.body.appendChild(f); HTMLFormElement.prototype.submit.call(f); }""",
        CODE,
    )
    anon.wait_for_url(f"**/d/{CODE}/ask")
    assert anon.locator("h1").count() == 1
    assert_accessible(anon, label="CSRF failure page")
