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

from .conftest import SCREENSHOTS, requires_chromium

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
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
        extra_http_headers={"Accept-Language": "fr"},
    )
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
    stored = json.loads(
        daphne_server.shell(
            f"import json\nfrom debates.models import Question\n"
            f"print(json.dumps(list(Question.objects.filter(debate_id={data['id']}).values_list('text', flat=True))))"
        )
        .strip()
        .splitlines()[-1]
    )
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
        f"from debates.models import Question\nprint(Question.objects.filter(debate_id={data['id']}).count())"
    )
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


PHONE_SETUP = """
import json
from django.utils import timezone
from debates import services
from debates.models import Debate
from tests.factories import make_moderator
d = Debate.objects.create(title="Budget participatif : à vous !", status="live", premoderation=False, word_filter="",
                          opened_at=timezone.now())
mod = make_moderator(d, username="browser-mod")
author = services.participant_join(debate=d, display_name="Inès")
q = services.question_submit(debate=d, participant=author, text="Pourquoi pas plus de bancs?")
services.poll_create(debate=d, actor=mod, text="Quelle priorité pour 2027 ?", kind="choice", open_now=True,
                     options=["Parcs et espaces verts", "Pistes cyclables protégées", "Rénovation des écoles"])
prop = services.poll_create(debate=d, actor=mod, text="Piétonniser le centre ?", kind="yna", open_now=True)
print(json.dumps({"code": d.code, "q": q.pk, "prop": prop.pk}))
"""


def test_phone_ballot_argument_counter_and_upvote_taken_back(daphne_server, browser):
    """Issue 10, item 8 on a 390 px phone."""
    data = json.loads(daphne_server.shell(PHONE_SETUP).strip().splitlines()[-1])
    ctx, page, errors = _phone(browser, daphne_server.url, data["code"])
    # The multiple-choice ballot: one full-width option per line, labels on one line each (no word per line).
    boxes = page.evaluate("""Array.from(document.querySelectorAll('.poll-choice .ballot button.opt')).map(b => {
        const r = b.getBoundingClientRect(); return [r.left, r.width, r.height]; })""")
    assert len(boxes) == 3 and len({round(left) for left, _w, _h in boxes}) == 1
    ballot_width = page.evaluate("document.querySelector('.poll-choice .ballot').getBoundingClientRect().width")
    assert all(abs(w - ballot_width) < 2 and h < 60 for _l, w, h in boxes)
    # French typography on display: a narrow no-break space before "?", added where it was missing.
    assert "bancs\u202f?" in page.inner_text(f"#q-{data['q']}")
    # The counter counts code points after NFC, shows the overflow, and nothing is cut.
    decomposed = "e\u0301" * 10
    page.fill("#ask-text", decomposed)
    assert page.inner_text("#ask-text-count").startswith("10 / ")
    long_text = "mot " * 80
    page.fill("#ask-text", long_text)
    assert "de trop" in page.inner_text("#ask-text-count")
    assert page.input_value("#ask-text") == long_text
    page.fill("#ask-text", "")
    # The argument form: a clear for/against choice, two large buttons.
    arg = page.locator(f"#argue-{data['prop']}")
    sides = arg.locator(".side span")
    assert sides.count() == 2 and all(sides.nth(i).bounding_box()["height"] >= 44 for i in range(2))
    page.fill(f"#argtext-{data['prop']}", "Plus de place pour les piétons et les terrasses.")
    arg.locator(".side-for span").tap()
    arg.locator("button[type=submit]").tap()
    page.wait_for_function("document.getElementById('flash').textContent.includes('argument')")
    # An upvote, then taken back by a second tap; the wording matches the action.
    up = page.locator(f"#q-{data['q']} button.upvote")
    up.tap()
    page.wait_for_function(f"document.querySelector('#q-{data['q']} button.upvote').classList.contains('mine')")
    assert "vote pour cette question est compté" in page.inner_text("#flash")
    up.tap()
    page.wait_for_function(f"!document.querySelector('#q-{data['q']} button.upvote').classList.contains('mine')")
    assert "retiré" in page.inner_text("#flash")
    n = daphne_server.shell(
        f"from debates.models import Question\nprint(Question.objects.get(pk={data['q']}).upvote_count)"
    )
    assert n.strip().splitlines()[-1] == "0"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert errors == []
    ctx.close()


SEEDED = """
import json, random
from django.db import transaction
from django.utils import timezone
from debates import services
from debates.models import Debate, Participant, Question
from tests.factories import make_moderator
rng = random.Random(3)
with transaction.atomic():
    d = Debate.objects.create(title="Conseil citoyen : quelle ville pour 2030 ?", status="live", premoderation=True,
                              word_filter="", opened_at=timezone.now())
    mod = make_moderator(d, username="browser-mod")
    people = Participant.objects.bulk_create([Participant(debate=d, display_name=f"Citoyen {i}") for i in range(60)])
    topics = ["le tram", "les loyers", "les pistes cyclables", "la piscine", "les écoles", "le marché", "les parcs"]
    Question.objects.bulk_create([
        Question(debate=d, author=people[i % 60], text=f"Que prévoit la ville pour {topics[i % 7]} (question {i}) ?",
                 status="approved", approved_at=timezone.now(), upvote_count=rng.randint(0, 80))
        for i in range(300)])
    me = services.participant_join(debate=d, display_name="Inès")
    services.poll_create(debate=d, actor=mod, text="Quelle priorité pour 2027 ?", kind="choice", open_now=True,
                         options=["Parcs et espaces verts", "Pistes cyclables protégées", "Rénovation des écoles"])
    services.poll_create(debate=d, actor=mod, text="Piétonniser le centre le week-end ?", kind="yna", open_now=True)
print(json.dumps({"code": d.code}))
"""


def test_citizen_page_on_a_seeded_debate_phone_and_laptop(daphne_server, browser):
    """A debate of 300 questions: the ask button is reachable at once on a phone, My questions shows the fate,
    and screenshots at 390×844 and 1440×900 (screenshots/citizen-seeded-390x844.png, citizen-1440x900.png)."""
    data = json.loads(daphne_server.shell(SEEDED).strip().splitlines()[-1])
    ctx, page, errors = _phone(browser, daphne_server.url, data["code"])
    fab = page.locator("a.ask-fab")
    assert fab.is_visible() and fab.bounding_box()["y"] < 844  # on the first screen
    fab.tap()
    page.wait_for_function("document.activeElement && document.activeElement.id === 'ask-text'")
    page.fill("#ask-text", "Et les bancs dans les parcs ?")
    page.locator("#ask-form button[type=submit]").tap()
    page.wait_for_function("document.getElementById('ask-text').value === ''")
    page.click("#tab-mine")
    page.wait_for_selector("#mine .fate-pending")
    assert "En attente de modération" in page.inner_text("#mine")
    page.click("#tab-top")
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(SCREENSHOTS / "citizen-seeded-390x844.png"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert errors == []
    ctx.close()
    laptop = browser.new_context(
        viewport={"width": 1440, "height": 900}, device_scale_factor=1, extra_http_headers={"Accept-Language": "fr"}
    )
    lp = laptop.new_page()
    lp.goto(f"{daphne_server.url}/d/{data['code']}/")
    lp.wait_for_function("document.getElementById('presence').textContent.trim() !== ''")
    lp.screenshot(path=str(SCREENSHOTS / "citizen-1440x900.png"))
    laptop.close()


RERENDER_SETUP = """
import json
from django.utils import timezone
from debates.models import Debate
from tests.factories import make_moderator, make_poll
d = Debate.objects.create(title="Vote pendant un rendu", status="live", word_filter="", opened_at=timezone.now())
mod = make_moderator(d, username="rerender-mod")
p = make_poll(d, actor=mod)
print(json.dumps({"code": d.code, "poll": p.pk}))
"""


def test_my_vote_is_marked_when_the_ballot_was_re_rendered_before_its_answer(daphne_server, browser):
    """A pushed render of the polls (here a second poll opened; after page load it is the socket's first snapshot)
    can replace the ballot while a vote is on its way. htmx then fires the answer's events from the detached form,
    which never reach the document: the mark followed those events and never came (one CI run in four)."""
    data = json.loads(daphne_server.shell(RERENDER_SETUP).strip().splitlines()[-1])
    code, poll = data["code"], data["poll"]
    ctx, page, errors = _phone(browser, daphne_server.url, code)
    # The form post's own path (the same vote sent over the socket: tests/e2e/test_socket_writes_browser.py).
    page.evaluate("window.hubLive.writesOverSocket = false")
    held = []
    page.route(
        f"**/d/{code}/poll/{poll}/vote", lambda route: held.append(route)
    )  # answered once the ballot is replaced
    option = page.locator(f'button.opt[data-poll="{poll}"]').nth(1)
    page.evaluate(f"window.votedForm = document.querySelectorAll('button.opt[data-poll=\"{poll}\"]')[1].form")
    option.tap()
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the vote never left"
    daphne_server.shell(
        "from debates.models import Debate\nfrom tests.factories import make_poll\n"
        f"d = Debate.objects.get(code={code!r})\nmake_poll(d, actor=d.roles.first().user)"
    )
    page.wait_for_function("!window.votedForm.isConnected")  # the pushed polls replaced the form
    held[0].continue_()
    page.wait_for_function(
        f"document.querySelectorAll('button.opt[data-poll=\"{poll}\"]')[1].classList.contains('chosen')"
    )
    assert page.locator(f'button.opt[data-poll="{poll}"].chosen').count() == 1
    assert errors == []
    ctx.close()
