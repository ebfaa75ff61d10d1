"""The console at 1440×900 (item 10 of the town-hall issue): at least six pending cards fit, the whole title shows,
"Close the debate" is not the first control and asks first, the mute button says what it does, the toast never
covers "Recent actions" and offers Undo, a moderator sees their own connection drop."""

from __future__ import annotations

import pytest

from .conftest import SCREENSHOTS, requires_chromium
from .test_console_keyboard_browser import login, wait_connected

pytestmark = [pytest.mark.e2e, pytest.mark.browser, requires_chromium]

CODE = "DENSE6"
TEXTS = [
    "Quand les travaux de la rue Garibaldi seront-ils terminés, et comment les commerçants seront-ils aidés ?",
    "Pourquoi le bus 38 ne passe plus le dimanche ?",
    "Peut-on avoir plus de bancs et d'ombre place Bellecour cet été ?",
    "Que devient l'ancienne piscine municipale du quartier ?",
    "Les pistes cyclables seront-elles séparées des voitures boulevard des Belges ?",
    "Qui entretient les jardins partagés ?",
    "Combien coûte la rénovation de l'école Jean-Macé et quand commence-t-elle ?",
    "Pourquoi tant de retard pour les permis de construire ?",
]
SETUP = f"""
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.utils import timezone
from debates import services
from debates.models import AgendaSegment, Debate, DebateRole
d = Debate.objects.create(title="Conseil de quartier de la Guillotière : budget participatif 2027 et mobilités",
                          code="{CODE}", status="live", opened_at=timezone.now(), scheduled_start=timezone.now())
AgendaSegment.objects.create(debate=d, position=0, title="Questions du public", planned_seconds=900)
u = get_user_model().objects.create_user("dense", password="pw-dense-123")
DebateRole.objects.create(debate=d, user=u, role="moderator")
for i, text in enumerate({TEXTS!r}):
    p = services.participant_join(debate=d, display_name=f"Habitant {{i}}")
    services.question_submit(debate=d, participant=p, text=text)
"""


def test_console_layout_at_1440(daphne_server, browser):
    base = daphne_server.url
    daphne_server.shell(SETUP)
    page = login(browser, base, "dense", "pw-dense-123", f"/d/{CODE}/moderate/")
    wait_connected(page)
    fitting = page.evaluate("""() => {
        const box = document.querySelector('#mod-queue').getBoundingClientRect();
        const bottom = Math.min(box.bottom, innerHeight);
        return Array.from(document.querySelectorAll('#mod-queue li[data-q]'))
          .filter(li => { const r = li.getBoundingClientRect(); return r.top >= box.top - 1 && r.bottom <= bottom + 1; }).length;
    }""")
    page.screenshot(path="/tmp/console/dense.png")
    assert fitting >= 6, fitting
    title = page.locator(".console-title h1")
    assert title.evaluate("h => h.scrollHeight <= h.clientHeight + 1 && h.scrollWidth <= h.clientWidth + 1")
    # Close the debate: after the clock controls, and confirmed.
    order = page.evaluate("""() => Array.from(document.querySelectorAll('#mod-status button')).map(b => b.value)""")
    assert order.index("closed") > order.index("next"), order
    dialogs = []
    page.once("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.locator("#mod-status button[value=closed]").click()
    page.wait_for_timeout(300)
    assert dialogs and page.locator(".badge-live").count() == 1  # dismissed: still live
    # The mute button, in the card's "⋯" panel (asked for when it opens), says what it does.
    more = page.locator("#mod-queue li[data-q] details.more").first
    more.locator("summary").click()
    mute = more.locator(".more-body button[value=mute]")
    mute.wait_for()
    assert "participant" in more.locator(".more-body form:has(button[value=mute])").inner_text()
    more.locator("summary").click()
    # Approve, then Undo from the toast: the question is pending again; the toast is clear of Recent actions.
    first = page.locator("#mod-queue li[data-q]").first
    qid = first.get_attribute("data-q")
    first.locator("button[value=approve]").click()
    page.locator(f"#ma-{qid}").wait_for()
    toast = page.locator("#mod-flash")
    toast.locator("button[data-undo]").wait_for()
    t, log = toast.bounding_box(), page.locator("#mod-log").bounding_box()
    overlap = not (
        t["x"] + t["width"] <= log["x"]
        or log["x"] + log["width"] <= t["x"]
        or t["y"] + t["height"] <= log["y"]
        or log["y"] + log["height"] <= t["y"]
    )
    assert not overlap, (t, log)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "moderation-console-dense-1440.png"))
    toast.locator("button[data-undo]").click()
    page.locator(f"#mq-{qid}").wait_for()
    # My own connection drops: the console says so.
    page.context.set_offline(True)
    page.evaluate(
        "() => { for (const el of document.querySelectorAll('[ws-connect]')) { const w = el['htmx-internal-data']; if (w && w.webSocket) w.webSocket.socket.close(); } }"
    )
    page.locator("#conn").wait_for(state="visible")
    assert "connection" in page.locator("#conn").inner_text().lower()
    page.context.set_offline(False)
