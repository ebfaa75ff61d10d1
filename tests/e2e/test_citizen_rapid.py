"""No question vanishes (issue 10, item 3): one phone sends 32 questions 150 ms apart and every one is stored.

Before the fix htmx kept at most one queued request per form and dropped the others, the queued request read the
box when it left, and live.js cleared the box when the previous request succeeded: 28 of 32 were stored while the
page said "Thank you!". Now Send is disabled while a request is in flight (the test's tap waits for it, as a
finger would find it greyed out), the box is cleared only if it still holds what was sent, and a refusal or a tap
while the network is down keeps the text with a message.
"""

from __future__ import annotations

import json

import pytest

from .conftest import requires_chromium

pytestmark = [pytest.mark.e2e, pytest.mark.browser, requires_chromium]

TIMEOUT_MS = 8_000
N = 32

SETUP = """
import json
from django.utils import timezone
from debates.models import Debate
d = Debate.objects.create(title="Questions en rafale", status="live", premoderation=True, word_filter="",
                          opened_at=timezone.now())
print(json.dumps({"code": d.code, "id": d.pk}))
"""


def _phone(browser, base: str, code: str):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, is_mobile=True,
                              has_touch=True, extra_http_headers={"Accept-Language": "fr"})
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/d/{code}/")
    page.wait_for_function("document.getElementById('presence').textContent.trim() !== ''")
    return ctx, page, errors


def test_32_rapid_questions_are_all_stored(daphne_server, browser):
    base = daphne_server.url
    data = json.loads(daphne_server.shell(SETUP).strip().splitlines()[-1])
    ctx, page, errors = _phone(browser, base, data["code"])
    texts = [f"Question rapide numéro {i} : que prévoit la ville ?" for i in range(1, N + 1)]
    for text in texts:
        page.fill("#ask-text", text)
        page.locator("#ask-form button[type=submit]").tap()  # waits while Send is disabled, like a finger would
        page.wait_for_timeout(150)
    # Every request has answered: the box is empty (the last text was sent and accepted) and Send is back.
    page.wait_for_function("document.getElementById('ask-text').value === ''")
    page.wait_for_function("!document.querySelector('#ask-form button[type=submit]').disabled")
    stored = json.loads(daphne_server.shell(
        f"import json\nfrom debates.models import Question\n"
        f"print(json.dumps(list(Question.objects.filter(debate_id={data['id']}).values_list('text', flat=True))))"
    ).strip().splitlines()[-1])
    assert sorted(stored) == sorted(texts), f"{len(stored)} of {N} stored"
    assert errors == []
    ctx.close()


def test_refusal_and_offline_keep_the_text(daphne_server, browser):
    base = daphne_server.url
    data = json.loads(daphne_server.shell(SETUP).strip().splitlines()[-1])
    ctx, page, errors = _phone(browser, base, data["code"])
    # A refusal (the server says no): the text stays, with the server's reason.
    too_long = "mot " * 100
    page.fill("#ask-text", too_long)
    page.locator("#ask-form button[type=submit]").tap()
    page.wait_for_function("document.getElementById('flash').classList.contains('error')")
    assert page.input_value("#ask-text") == too_long
    # Offline: the tap fails at the network level; the text stays and the citizen is told.
    page.evaluate("document.getElementById('flash').textContent = ''")
    ctx.set_offline(True)
    page.fill("#ask-text", "Une question envoyée sans réseau ?")
    page.locator("#ask-form button[type=submit]").tap()
    page.wait_for_function("document.getElementById('flash').textContent.trim() !== ''")
    assert page.input_value("#ask-text") == "Une question envoyée sans réseau ?"
    assert "réseau" in page.inner_text("#flash").lower() or "connexion" in page.inner_text("#flash").lower()
    ctx.set_offline(False)
    page.wait_for_function("!document.querySelector('#ask-form button[type=submit]').disabled")
    page.locator("#ask-form button[type=submit]").tap()
    page.wait_for_function("document.getElementById('ask-text').value === ''")
    n = daphne_server.shell(
        f"from debates.models import Question\nprint(Question.objects.filter(debate_id={data['id']}).count())")
    assert n.strip().splitlines()[-1] == "1"
    assert errors == []
    ctx.close()


CLOSE_SETUP = """
import json
from django.utils import timezone
from debates import services
from debates.models import Debate
from tests.factories import make_moderator
d = Debate.objects.create(title="Clôture en direct", status="live", premoderation=True, word_filter="",
                          opened_at=timezone.now())
make_moderator(d, username="browser-mod")
poll = services.poll_create(debate=d, actor=d.roles.first().user, text="Piétonniser le centre ?", kind="yna",
                            open_now=True)
print(json.dumps({"code": d.code, "id": d.pk}))
"""


def test_an_open_phone_learns_that_the_debate_closed(daphne_server, browser):
    """Issue 10, item 6: no more "Ask / Send" once closed, the page says so and links the report."""
    from .test_citizen_browser import moderator_session

    base = daphne_server.url
    data = json.loads(daphne_server.shell(CLOSE_SETUP).strip().splitlines()[-1])
    ctx, page, errors = _phone(browser, base, data["code"])
    page.fill("#ask-text", "Un brouillon en cours")
    assert page.is_visible("#ask-form") and page.is_visible(".ballot")
    assert page.locator("a.report-link").count() == 0  # visitors get no report link while live
    mod_ctx, act = moderator_session(browser, base, data["code"])
    act(action="status", status="closed")
    page.wait_for_selector(".ask-closed", state="visible")
    assert not page.is_visible("#ask-form") and not page.is_visible(".ballot")
    assert page.locator(f'.ask-closed a[href="/d/{data["code"]}/report/"]').is_visible()
    assert page.locator(f'#status a[href="/d/{data["code"]}/report/"]').is_visible()
    page.locator(".ask-closed a").click()
    page.wait_for_url(f"**/d/{data['code']}/report/")
    assert errors == []
    mod_ctx.close()
    ctx.close()
