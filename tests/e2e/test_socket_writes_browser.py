"""A phone votes, upvotes and supports over its page's websocket (390×844, Debian's chromium, French): no form post
leaves the page, the answers and marks are the form posts' own, a reload still knows the citizen (the client key's
cookie), and with the socket gone the same taps go over HTTP."""

from __future__ import annotations

import json

import pytest

from .conftest import SCREENSHOTS, requires_chromium

pytestmark = [pytest.mark.e2e, pytest.mark.browser, requires_chromium]

TIMEOUT_MS = 8_000

SETUP = """
import json
from django.utils import timezone
from debates import services
from debates.models import Debate
from tests.factories import make_moderator, make_participant, make_poll, make_question
d = Debate.objects.create(title="Votes par la prise", status="live", premoderation=False, word_filter="",
                          opened_at=timezone.now())
mod = make_moderator(d, username="socket-writes-mod")
p = make_poll(d, actor=mod)
author = make_participant(d, "Ana")
q = make_question(d, text="Quand rouvre la piscine municipale ?")
a = services.argument_post(poll=p, participant=author, side="for", text="Le centre respire enfin.")
print(json.dumps({"code": d.code, "poll": p.pk, "question": q.pk, "argument": a.pk, "id": d.pk}))
"""


def _count(server, model: str, **filters) -> int:
    args = ", ".join(f"{k}={v!r}" for k, v in filters.items())
    out = server.shell(f"from debates.models import {model}\nprint({model}.objects.filter({args}).count())")
    return int(out.strip().splitlines()[-1])


def test_a_phone_votes_upvotes_and_supports_over_its_socket(daphne_server, browser):
    data = json.loads(daphne_server.shell(SETUP).strip().splitlines()[-1])
    code, poll = data["code"], data["poll"]
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="fr-FR",
        extra_http_headers={"Accept-Language": "fr"},
    )
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    posts: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: frames.append(str(payload))))
    page.goto(f"{daphne_server.url}/d/{code}/")
    page.wait_for_function("document.getElementById('presence').textContent.trim() !== ''")

    # A newcomer's vote: one write frame under the browser's key, the form post's answer and mark.
    option = page.locator(f'button.opt[data-poll="{poll}"]').nth(1)
    chosen = option.get_attribute("data-option")
    option.tap()
    page.wait_for_function(f"document.querySelector('button.opt[data-poll=\"{poll}\"].chosen')")
    assert "Votre vote est enregistré" in page.inner_text("#flash")
    assert page.get_attribute("#flash", "class") == "flash success"
    page.wait_for_function(f"document.getElementById('poll-{poll}-results').textContent.includes('1')")
    assert posts == [], posts
    written = [json.loads(f) for f in frames if '"write"' in f]
    assert [(w["action"], w["target"], w["option"]) for w in written] == [("vote", poll, int(chosen))]
    assert "key" in written[0]

    # Now the socket is this participant: upvote and support go as them, with no key.
    page.locator(f'button.upvote[data-qid="{data["question"]}"]').tap()
    page.wait_for_function(f"document.querySelector('button.upvote[data-qid=\"{data['question']}\"].mine')")
    page.locator(f'button.support[data-arg="{data["argument"]}"]').tap()
    page.wait_for_function("document.getElementById('flash').innerText.includes('Soutien')")
    assert posts == [], posts
    assert [json.loads(f).get("key") for f in frames if '"write"' in f][1:] == [None, None]
    page.wait_for_function(f"document.getElementById('arg-{data['argument']}-n').textContent.trim() === '1'")
    page.screenshot(path=str(SCREENSHOTS / "socket-writes-phone.png"))
    assert _count(daphne_server, "Participant", debate_id=data["id"]) == 3  # Ana, the question's author, this phone
    assert _count(daphne_server, "QuestionUpvote", question_id=data["question"]) == 1
    assert _count(daphne_server, "ArgumentUpvote", argument_id=data["argument"]) == 1

    # A reload knows them (the key's cookie gave the session that participant): marks and the socket again.
    page.reload()
    page.wait_for_function("document.getElementById('presence').textContent.trim() !== ''")
    assert page.locator(f'button.opt[data-poll="{poll}"].chosen').get_attribute("data-option") == chosen
    assert page.locator(f'button.upvote[data-qid="{data["question"]}"].mine').count() == 1
    # A change of mind after the reload: over the socket again once it is identified as them.
    page.wait_for_function("document.getElementById('me').textContent.includes('live_ref')")
    other = page.locator(f'button.opt[data-poll="{poll}"]').nth(0)
    other.tap()
    page.wait_for_function(
        f"document.querySelector('button.opt[data-poll=\"{poll}\"].chosen').dataset.option === "
        f"{json.dumps(other.get_attribute('data-option'))}"
    )
    assert _count(daphne_server, "Vote", poll_id=poll) == 1
    assert _count(daphne_server, "Participant", debate_id=data["id"]) == 3
    assert errors == []

    # Without the socket (the server stops taking writes on it), the same tap is a form post.
    page.evaluate("window.hubLive.writesOverSocket = false")
    page.locator(f'button.opt[data-poll="{poll}"]').nth(2).tap()
    page.wait_for_function(
        f"document.querySelectorAll('button.opt[data-poll=\"{poll}\"]')[2].classList.contains('chosen')"
    )
    assert len(posts) == 1 and posts[0].endswith(f"/poll/{poll}/vote")
    ctx.close()
