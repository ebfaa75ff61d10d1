"""A consultation's participant takes their participation to another phone with a recovery code (390×844, Debian's
chromium, French): phone A votes, asks for a code and reads it; phone B types it and is that participant (its
ballot shows A's choice). Saves screenshots/recovery-*.png."""

from __future__ import annotations

import json

import pytest

from .conftest import SCREENSHOTS, requires_chromium

pytestmark = [pytest.mark.e2e, pytest.mark.browser, requires_chromium]

TIMEOUT_MS = 8_000
PHONE = {"width": 390, "height": 844}

SETUP = """
import json
from datetime import timedelta
from django.utils import timezone
from tests.consult.factories import make_consultation
from tests.factories import make_debate, make_moderator, make_poll
from debates import services
d = make_debate(title="Consultation sur le plan vélo", word_filter="")
d = make_consultation(d)
mod = make_moderator(d, username="recovery-mod")
now = timezone.now()
services.consultation_set_dates(debate=d, actor=mod, opens_at=now - timedelta(days=1),
                                closes_at=now + timedelta(days=80), phases=[])
p = make_poll(d, actor=mod)
print(json.dumps({"code": d.code, "poll": p.pk}))
"""


def phone(browser):
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="fr-FR")
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    return ctx, page


def test_a_recovery_code_moves_the_participation_to_another_phone(browser, daphne_server):
    base = daphne_server.url
    data = json.loads(daphne_server.shell(SETUP).strip().splitlines()[-1])
    code, poll = data["code"], data["poll"]
    ctx_a, a = phone(browser)
    a.goto(f"{base}/d/{code}/")
    assert a.locator("#recovery details").get_attribute("open") is not None  # a newcomer: only "recover" to do
    option = a.locator(f'button.opt[data-poll="{poll}"]').nth(1)
    chosen = option.get_attribute("value")
    option.click()
    a.wait_for_function(f"document.querySelector('button.opt[data-poll=\"{poll}\"].chosen')", timeout=15_000)
    a.reload()  # now a participant: the card offers a code
    a.locator("#recovery button[type=submit]").first.click()
    shown = a.locator("#recovery-shown .recovery-code")
    shown.wait_for()
    recovery = shown.inner_text().strip()
    assert len(recovery) == 11 and recovery[5] == "-"
    assert "une fois" in a.inner_text("#flash")
    a.locator("#recovery").scroll_into_view_if_needed()
    a.screenshot(path=str(SCREENSHOTS / "recovery-code-phone.png"))

    ctx_b, b = phone(browser)
    b.goto(f"{base}/d/{code}/")
    b.locator("#recovery-input").fill(recovery.lower())
    b.locator("#recovery-input").press("Enter")
    b.wait_for_function("document.getElementById('flash').innerText.includes('Bon retour')")
    b.reload()
    b.wait_for_selector(f'button.opt[data-poll="{poll}"].chosen')
    assert b.locator(f'button.opt[data-poll="{poll}"].chosen').get_attribute("value") == chosen
    b.locator("#recovery").scroll_into_view_if_needed()
    b.screenshot(path=str(SCREENSHOTS / "recovery-recovered-phone.png"))
    count = daphne_server.shell(
        f"from debates.models import Participant; print(Participant.objects.filter(debate__code={code!r}).count())"
    )
    assert count.strip().splitlines()[-1] == "1"
    ctx_a.close()
    ctx_b.close()
