"""A citizen on a phone (390×844, Debian's chromium) in a debate of 2,000 questions: the page shows one window of 30,
"Show more questions" appends the next, the search box (debounced, 3 characters or more) asks the server, clearing
it brings the tab's window back, Recent and Top reload their windows, and a poll's arguments show their real totals
with a "show more". Saves /tmp/citizen-shots/*.png (and screenshots/citizen-windows-390x844.png)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import SCREENSHOTS, requires_chromium

pytestmark = [pytest.mark.e2e, pytest.mark.browser, requires_chromium]

TIMEOUT_MS = 8_000
SHOTS = Path("/tmp/citizen-shots")

SETUP = """
import json
from datetime import timedelta
from django.utils import timezone
from debates import services
from debates.models import Argument, Debate, Question
from tests.factories import make_moderator
d = Debate.objects.create(title="Conseil municipal : le budget 2027", status="live", premoderation=True,
                          word_filter="", opened_at=timezone.now(), scheduled_start=timezone.now() - timedelta(minutes=3),
                          scheduled_end=timezone.now() + timedelta(hours=2))
mod = make_moderator(d, username="windows-mod")
author = services.participant_join(debate=d, display_name="Karim")
Question.objects.bulk_create([
    Question(debate=d, author=author, status="approved", upvote_count=(i * 7919) % 23,
             text=(f"Quand le tram desservira-t-il le quartier n°{i} ?" if i % 40 == 0
                   else f"Que prévoit le budget pour l'école du secteur n°{i} ?"))
    for i in range(2000)], batch_size=500)
newest = Question.objects.filter(debate=d).order_by("-created_at", "-id").first()
poll = services.poll_create(debate=d, actor=mod, text="Faut-il piétonniser la rue de la République ?",
                            kind="yna", open_now=True)
Argument.objects.bulk_create([Argument(poll=poll, author=author, side="for", text=f"Un argument pour, le n°{i}")
                              for i in range(14)]
                             + [Argument(poll=poll, author=author, side="against", text="Les livraisons.")])
print(json.dumps({"code": d.code, "poll": poll.pk, "newest": newest.pk}))
"""

COUNT = "document.querySelectorAll('#qlist > li.question').length"


def test_a_phone_walks_searches_and_switches_tabs(daphne_server, browser):
    base = daphne_server.url
    data = json.loads(daphne_server.shell(SETUP).strip().splitlines()[-1])
    code, poll = data["code"], data["poll"]
    SHOTS.mkdir(exist_ok=True)
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=1, extra_http_headers={"Accept-Language": "fr"}
    )
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/questions" in r.url else None)
    page.goto(f"{base}/d/{code}/")
    page.wait_for_function("document.getElementById('presence').textContent.trim() !== ''")
    page.evaluate("window.__sameDocument = true")
    assert page.evaluate(COUNT) == 30

    # The arguments: the heading says 14, the window shows 10, "show more" the other 4.
    assert page.inner_text(f"#poll-{poll}-for-total") == "(14)"
    assert page.locator(f"#poll-{poll}-for > li.argument").count() == 10
    page.locator(f"#poll-{poll}-for-more button").click()
    page.wait_for_function(f"document.querySelectorAll('#poll-{poll}-for > li.argument').length === 14")
    assert page.locator(f"#poll-{poll}-for-more button").count() == 0
    assert page.inner_text(f"#poll-{poll}-against-total") == "(1)"
    page.locator(f"#poll-{poll}-for > li.argument").last.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "0-arguments.png"))

    # 1. Scroll down the list and tap "show more": the next 30 are appended, the first ones stay.
    first_id = page.evaluate("document.querySelector('#qlist > li.question').id")
    more = page.locator("#qlist > li.more a")
    more.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "1-end-of-window.png"))
    more.click()
    page.wait_for_function(f"{COUNT} === 60")
    assert page.evaluate("document.querySelector('#qlist > li.question').id") == first_id
    assert page.evaluate("document.querySelectorAll('#qlist > li.more').length") == 1  # one, at the end
    assert page.evaluate("document.querySelector('#qlist').lastElementChild.classList.contains('more')")
    ids = page.evaluate("[...document.querySelectorAll('#qlist > li.question')].map(li => li.id)")
    assert len(set(ids)) == 60
    page.locator("#qlist > li.more a").click()
    page.wait_for_function(f"{COUNT} === 90")

    # 2. Search: two letters do nothing; "tram" asks the server once typing pauses.
    box = page.locator("#qsearch-text")
    box.scroll_into_view_if_needed()
    before = len(requests)
    box.press_sequentially("tr", delay=60)
    page.wait_for_timeout(700)
    assert len(requests) == before and page.evaluate(COUNT) == 90
    box.press_sequentially("am", delay=60)
    page.wait_for_function(
        f"{COUNT} === 30 && [...document.querySelectorAll('#qlist > li.question .qtext')]"
        ".every(p => p.textContent.includes('tram'))"
    )
    assert len(requests) == before + 1  # debounced: one request for "tram"
    page.wait_for_timeout(200)
    page.screenshot(path=str(SHOTS / "2-search.png"))
    page.locator("#qlist > li.more a").click()  # the search's own next window: 50 tram questions in all
    page.wait_for_function(f"{COUNT} === 50")
    assert page.locator("#qlist > li.more").count() == 0

    # Clearing it brings the Top window back.
    box.fill("")
    page.wait_for_function(f"{COUNT} === 30 && document.querySelector('#qlist > li.question').id === '{first_id}'")

    # 3. Recent: the newest first, from the server; Top again: the most upvoted.
    page.click("#tab-recent")
    page.wait_for_function(f"document.querySelector('#qlist > li.question').id === 'q-{data['newest']}'")
    assert page.evaluate(COUNT) == 30
    assert page.input_value("#qorder") == "recent"
    page.locator("#qlist > li.more a").click()
    page.wait_for_function(f"{COUNT} === 60")
    created = page.evaluate(
        "[...document.querySelectorAll('#qlist > li.question')].map(li => Number(li.dataset.created))"
    )
    assert created == sorted(created, reverse=True)
    page.click("#tab-top")
    page.wait_for_function(f"{COUNT} === 30 && document.querySelector('#qlist > li.question').id === '{first_id}'")

    # A search while on Recent stays in Recent order.
    page.click("#tab-recent")
    page.wait_for_function(f"document.querySelector('#qlist > li.question').id === 'q-{data['newest']}'")
    box.fill("tram")
    page.wait_for_function(
        "[...document.querySelectorAll('#qlist > li.question .qtext')].every(p => p.textContent.includes('tram'))"
    )
    assert page.evaluate(COUNT) == 30
    # "My questions" hides the list and the search box.
    page.click("#tab-mine")
    assert page.locator("#qsearch").is_hidden() and page.locator("#questions").is_hidden()
    page.click("#tab-top")

    assert page.evaluate("window.__sameDocument") is True
    assert errors == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the citizen page scrolls sideways at 390 px ({width} px wide)"
    page.locator("#questions-card").scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / "3-tabs.png"))
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / "4-page-end.png"))
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "citizen-windows-390x844.png"))
    ctx.close()


def open_reconnecting_reader(daphne_server, browser):
    """A French phone on the seeded debate whose socket the test can close: window.__ws, and counters of the
    sockets opened (window.__opens) and of the question lists pushed (window.__snapshots)."""
    data = json.loads(daphne_server.shell(SETUP).strip().splitlines()[-1])
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=1, extra_http_headers={"Accept-Language": "fr"}
    )
    ctx.add_init_script(
        "document.addEventListener('htmx:wsOpen', e => { window.__ws = e.detail.event.target; "
        "window.__opens = (window.__opens || 0) + 1; });"
        "document.addEventListener('htmx:oobAfterSwap', e => { if (e.detail.target.id === 'questions') "
        "window.__snapshots = (window.__snapshots || 0) + 1; })"
    )
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{daphne_server.url}/d/{data['code']}/")
    return ctx, page, errors


def test_a_reader_who_showed_more_keeps_it_across_a_reconnect(daphne_server, browser):
    """The socket drops and comes back (a server restart, a tunnel): its snapshot is the Top window of 30, and the
    page asks for the next windows again until it shows the 90 it showed, back at the same place."""
    ctx, page, errors = open_reconnecting_reader(daphne_server, browser)
    page.wait_for_function("window.__opens === 1")
    # The socket's snapshot replaces the list: let it land before showing more (a window asked for while it lands
    # goes to the list it replaced).
    page.wait_for_function("document.getElementById('presence').textContent.trim() !== ''")
    for shown in (60, 90):
        page.locator("#qlist > li.more a").click()
        page.wait_for_function(f"{COUNT} === {shown}")
    ids = page.evaluate("[...document.querySelectorAll('#qlist > li.question')].map(li => li.id)")
    page.locator("#qlist > li.question").nth(70).scroll_into_view_if_needed()
    scrolled = page.evaluate("window.scrollY")
    # Count the list's sizes as they change: the snapshot's 30 must be seen, then the 90 again.
    page.evaluate(
        "window.__sizes = []; new MutationObserver(() => window.__sizes.push("
        f"{COUNT})).observe(document.getElementById('questions-card'), {{childList: true, subtree: true}})"
    )
    page.evaluate("window.__ws.close(4000)")
    page.wait_for_function("window.__opens === 2", timeout=15_000)
    page.wait_for_function(f"window.__sizes.includes(30) && {COUNT} === 90", timeout=15_000)
    assert page.evaluate("[...document.querySelectorAll('#qlist > li.question')].map(li => li.id)") == ids
    page.wait_for_timeout(200)
    assert abs(page.evaluate("window.scrollY") - scrolled) < 5
    assert errors == []
    ctx.close()


def test_a_show_more_still_on_its_way_when_the_snapshot_lands_is_asked_for_again(daphne_server, browser):
    """The reader shows more just as the socket comes back: the answer would go to the list the snapshot replaced,
    so the page counts that window as shown and asks for it again."""
    ctx, page, errors = open_reconnecting_reader(daphne_server, browser)
    page.wait_for_function("window.__snapshots > 0")  # the socket's snapshot replaced the list
    held: list = []
    # Hold the first "show more"; the windows asked for after the snapshot go through.
    page.route("**/questions?*cursor=*", lambda route: route.continue_() if held else held.append(route))
    page.locator("#qlist > li.more a").click()
    page.wait_for_function("document.querySelector('#qlist > li.more.htmx-request, #qlist > li.more .htmx-request')")
    assert len(held) == 1
    page.evaluate("window.__snapshots = 0; window.__ws.close(4000)")
    page.wait_for_function("window.__opens === 2 && window.__snapshots > 0", timeout=15_000)
    held[0].continue_()  # answered into the list the snapshot replaced
    page.wait_for_function(f"{COUNT} === 60", timeout=15_000)
    ids = page.evaluate("[...document.querySelectorAll('#qlist > li.question')].map(li => li.id)")
    assert len(set(ids)) == 60
    assert errors == []
    ctx.close()


def test_counts_of_questions_below_the_window_are_dropped_before_htmx(daphne_server, browser):
    """An upvote flush carries the counts of questions the reader's window does not show: the page takes them out
    of the message (remembering their versions) instead of letting htmx log a missing target for each, which made
    every flush a long task on a slow phone; the counts it does show still change."""
    base = daphne_server.url
    data = json.loads(daphne_server.shell(SETUP).strip().splitlines()[-1])
    url = f"{base}/d/{data['code']}/"
    reader_ctx = browser.new_context(viewport={"width": 390, "height": 844})
    reader_ctx.add_init_script(
        "window.__msgs = 0; document.addEventListener('htmx:wsAfterMessage', () => { window.__msgs += 1; })"
    )
    reader = reader_ctx.new_page()
    reader.set_default_timeout(TIMEOUT_MS)
    console_errors: list[str] = []
    # (a resource the browser asks for by itself, the favicon, may 404: not what is checked here)
    reader.on(
        "console",
        lambda m: console_errors.append(m.text)
        if m.type == "error" and "Failed to load resource" not in m.text
        else None,
    )
    reader.goto(url)
    reader.wait_for_function("document.getElementById('presence').textContent.trim() !== ''")
    shown = set(reader.evaluate("[...document.querySelectorAll('#qlist > li.question')].map(li => li.id)"))
    voter_ctx = browser.new_context(viewport={"width": 390, "height": 844})
    voter = voter_ctx.new_page()
    voter.set_default_timeout(TIMEOUT_MS)
    voter.goto(url)
    voter.wait_for_function("document.getElementById('presence').textContent.trim() !== ''")
    voter.locator("#qsearch-text").fill("tram")
    voter.wait_for_function(
        "[...document.querySelectorAll('#qlist > li.question .qtext')].every(p => p.textContent.includes('tram'))"
    )
    found = voter.evaluate("[...document.querySelectorAll('#qlist > li.question')].map(li => li.id)")
    below = next(q for q in found if q not in shown)
    seen = next(iter(shown))
    before = reader.evaluate("window.__msgs")
    voter.locator(f"#{below} button.upvote").click()
    reader.wait_for_function(f"window.__msgs > {before}", timeout=10_000)
    reader.wait_for_timeout(500)
    # A question the reader does show: its count still changes there.
    old = int(reader.inner_text(f"#{seen}-n"))
    voter.locator("#qsearch-text").fill("")
    voter.wait_for_function(f"document.getElementById('{seen}') !== null")
    voter.locator(f"#{seen} button.upvote").click()
    reader.wait_for_function(f"Number(document.getElementById('{seen}-n').textContent) === {old + 1}", timeout=10_000)
    assert console_errors == []
    reader_ctx.close()
    voter_ctx.close()
