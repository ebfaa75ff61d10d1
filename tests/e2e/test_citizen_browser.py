"""Two citizens in real browsers (Debian's chromium): one votes and asks, the other sees the count change and, after
a moderator's approval, the question appear — without reloading. A draft typed in an argument box survives a
pushed update of the polls widget. Saves screenshots/citizen-390x844.png."""

from __future__ import annotations

import json

import pytest

from .conftest import SCREENSHOTS, requires_chromium

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.browser_smoke, requires_chromium]

TIMEOUT_MS = 8_000
QUESTION = "Pourquoi la piscine municipale ferme-t-elle en août ?"
DRAFT = "Moins de voitures, c'est un air plus sain pour les enfants de l'école"

SETUP = """
import json
from datetime import timedelta
from django.utils import timezone
from debates import services
from debates.models import AgendaSegment, Debate
from tests.factories import make_moderator, make_official
d = Debate.objects.create(title="Conseil municipal : la ville en 2030", status="live", premoderation=True,
                          word_filter="", opened_at=timezone.now(), scheduled_start=timezone.now() - timedelta(minutes=3),
                          scheduled_end=timezone.now() + timedelta(hours=2))
AgendaSegment.objects.create(debate=d, position=0, title="Questions du public", planned_seconds=1200)
AgendaSegment.objects.create(debate=d, position=1, title="Vote", planned_seconds=600)
mod = make_moderator(d, username="browser-mod")
maire = make_official(d, title="Hélène Durand, maire", username="browser-maire")
services.clock_action(debate=d, actor=mod, action="start")
author = services.participant_join(debate=d, display_name="Karim")
q = services.question_approve(question=services.question_submit(debate=d, participant=author,
    text="Quand le tram arrivera-t-il au quartier Nord ?"), actor=mod)
services.answer_post(question=q, actor=maire, text="Les travaux commencent en 2027, la concertation en septembre.")
services.question_put_on_screen(question=q, debate=d, actor=mod)
poll = services.poll_create(debate=d, actor=mod, text="Faut-il piétonniser la rue de la République le week-end ?",
                            kind="yna", open_now=True)
services.argument_post(poll=poll, participant=author, side="for", text="Les commerces du centre y gagneront.")
services.argument_post(poll=poll, participant=author, side="against", text="Les livraisons seront compliquées.")
print(json.dumps({"code": d.code, "poll": poll.pk}))
"""


def moderator_session(browser, base: str, code: str):
    """A moderator signed in through the login page; acts through POST /d/<CODE>/moderate/act on the same server
    (a write from another process could not reach the in-memory channel layer of the embedded default)."""
    ctx = browser.new_context()
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{base}/accounts/login/?next=/d/{code}/moderate/")
    page.fill("#id_username", "browser-mod")
    page.fill("#id_password", "pw-for-tests-123")  # tests.factories.make_user's password
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"**/d/{code}/moderate/")
    token = next(c["value"] for c in ctx.cookies() if c["name"] == "csrftoken")

    def act(**form) -> None:
        r = ctx.request.post(
            f"{base}/d/{code}/moderate/act",
            form=form,
            headers={"X-CSRFToken": token, "HX-Request": "true", "Referer": f"{base}/d/{code}/moderate/"},
        )
        assert r.status == 200, (form, r.status, r.text()[:500])

    return ctx, act


def test_two_citizens_see_each_other_live(daphne_server, browser):
    base = daphne_server.url
    data = json.loads(daphne_server.shell(SETUP).strip().splitlines()[-1])
    code, poll = data["code"], data["poll"]

    def open_citizen(lang: str):
        ctx = browser.new_context(
            viewport={"width": 390, "height": 844}, device_scale_factor=1, extra_http_headers={"Accept-Language": lang}
        )
        page = ctx.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{base}/d/{code}/")
        # Connected: the socket's snapshot fills the presence counter (empty in the served HTML).
        page.wait_for_function("document.getElementById('presence').textContent.trim() !== ''")
        page.evaluate("window.__sameDocument = true")
        return page, errors

    voter, voter_errors = open_citizen("fr")
    watcher, watcher_errors = open_citizen("en")
    results = f"#poll-{poll}-results"
    assert "0 votes" in watcher.inner_text(results)

    # The watcher starts writing an argument (focused, half-typed) before anything is pushed.
    draft_box = watcher.locator(f"#argtext-{poll}")
    draft_box.click()
    draft_box.type(DRAFT, delay=0)

    # 1. A vote: the watcher's count changes without reload.
    voter.locator(f'button.opt[data-poll="{poll}"]').first.click()
    watcher.wait_for_function(f"document.querySelector('{results}').innerText.includes('1 vote')", timeout=3000)
    assert "100 %" in watcher.inner_text(results)
    voter.wait_for_function(f"document.querySelector('button.opt[data-poll=\"{poll}\"]').classList.contains('chosen')")

    # 2. A question: pre-moderated, so the voter is told it awaits moderation and the watcher sees nothing yet.
    vote_flash = voter.inner_text("#flash")
    voter.fill("#ask-text", QUESTION)
    voter.locator("#ask-form button[type=submit]").click()
    voter.wait_for_function(
        "old => { const f = document.getElementById('flash'); return f.classList.contains('success') && f.innerText !== old }",
        arg=vote_flash,
    )
    voter.click("#tab-mine")  # "My questions"
    voter.wait_for_selector("#mine .status-pending")  # "awaiting moderation", on the author's page only
    assert voter.input_value("#ask-text") == ""
    assert QUESTION not in watcher.inner_text("#questions")

    # 3. A moderator approves it and opens a new poll (a push of the whole polls widget).
    question_id = voter.evaluate("JSON.parse(document.getElementById('me').textContent).mine[0].id")
    mod_ctx, act = moderator_session(browser, base, code)
    act(action="approve", question=str(question_id))
    act(
        action="poll_create",
        text="Budget participatif : le parc ou la médiathèque ?",
        kind="choice",
        options="Le parc\nLa médiathèque",
        results="live",
        open_now="1",
    )

    # 4. A second question, rejected with a reason: the author sees it at once (a nudge on their socket makes the
    # page fetch its own state; the 15 s fallback poll could not explain a 3 s wait).
    voter.fill("#ask-text", "Une question hors sujet ?")
    voter.locator("#ask-form button[type=submit]").click()
    voter.wait_for_function("document.querySelectorAll('#mine .status-pending').length === 1")
    rejected_id = voter.evaluate(
        "JSON.parse(document.getElementById('me').textContent).mine.find(q => q.status === 'pending').id"
    )
    act(action="reject", question=str(rejected_id), reason="Hors sujet")
    voter.wait_for_selector("#mine .status-rejected", timeout=3000)
    assert "Hors sujet" in voter.inner_text("#mine")
    # The approved one reads "Published", in French, with no stale "awaiting moderation" above it.
    assert "Publiée" in voter.inner_text("#mine .fate-published")
    assert "attente" not in voter.inner_text("#flash")
    mod_ctx.close()
    voter.click("#tab-top")
    watcher.wait_for_function(
        "q => document.getElementById('questions').innerText.replace(/[\u202f\u00a0]/g, ' ').includes(q)",
        arg=QUESTION,
        timeout=5000,
    )
    watcher.wait_for_function(
        "document.getElementById('polls').innerText.includes('Budget participatif')", timeout=5000
    )
    voter.wait_for_function(
        "q => document.getElementById('questions').innerText.replace(/[\u202f\u00a0]/g, ' ').includes(q)",
        arg=QUESTION,
        timeout=5000,
    )

    # The draft survived the swaps of the polls widget around it (the box itself was carried over, not re-created).
    assert draft_box.input_value() == DRAFT
    assert watcher.locator(f"#argue-{poll}").count() == 1
    # …and the person can keep typing where they were: the field still has the focus.
    assert watcher.evaluate("document.activeElement && document.activeElement.id") == f"argtext-{poll}"
    assert watcher.evaluate("window.__sameDocument") is True and voter.evaluate("window.__sameDocument") is True
    assert watcher_errors == [] and voter_errors == []

    # The phone screenshot (the voter's page, in French, after the pushes).
    SCREENSHOTS.mkdir(exist_ok=True)
    voter.evaluate("window.scrollTo(0, 0)")
    voter.wait_for_timeout(300)
    voter.screenshot(path=str(SCREENSHOTS / "citizen-390x844.png"))
    width = voter.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the citizen page scrolls sideways at 390 px ({width} px wide)"
