"""The whole path of a citizen proposal on a phone (390×844, Debian's chromium): propose, see supports arrive live,
support, see it become official live, follow it to the vote and vote. Other supporters post over HTTP to the same
server (a write from another process could not reach the embedded in-memory channel layer). Saves
screenshots/proposals-*.png."""

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
from debates import services
from debates.models import AgendaSegment, Debate
from tests.factories import make_moderator
d = Debate.objects.create(title="Budget participatif 2027", status="live", premoderation=True, word_filter="",
                          opened_at=timezone.now(), scheduled_start=timezone.now() - timedelta(minutes=3),
                          scheduled_end=timezone.now() + timedelta(hours=2))
AgendaSegment.objects.create(debate=d, position=0, title="Propositions", planned_seconds=1200)
mod = make_moderator(d, username="browser-mod")
services.consultation_update(debate=d, actor=mod, proposals_enabled=True, proposal_threshold=3,
                             proposal_outcome="poll", categories="Mobilité\\nÉcoles\\nEspaces verts")
other = services.participant_join(debate=d)
services.proposal_submit(debate=d, participant=other, title="Des fontaines à eau dans les parcs",
                         text="Une fontaine par parc avant l'été.", category="Espaces verts")
print(json.dumps({"code": d.code}))
"""


def supporter(browser, base: str, code: str, proposal_id: int) -> None:
    """Another citizen (own cookies) supports through the htmx endpoint, as their page would."""
    ctx = browser.new_context()
    try:
        ctx.request.get(f"{base}/d/{code}/proposals/")
        token = next(c["value"] for c in ctx.cookies() if c["name"] == "csrftoken")
        r = ctx.request.post(
            f"{base}/d/{code}/p/{proposal_id}/support",
            headers={"X-CSRFToken": token, "HX-Request": "true", "Referer": base + "/"},
        )
        assert r.status == 200, r.text()
    finally:
        ctx.close()


def test_propose_support_official_vote_on_a_phone(browser, daphne_server):
    base = daphne_server.url
    code = json.loads(daphne_server.shell(SETUP).strip().splitlines()[-1])["code"]
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="fr-FR")
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    # live.js marks my vote on its form when the answer arrives; a snapshot replacing the polls meanwhile would
    # detach that form. Count socket messages, to act once the page's snapshot has arrived.
    page.add_init_script(
        "window.__wsMessages = 0; document.addEventListener('htmx:wsAfterMessage', "
        "function () { window.__wsMessages++; });"
    )
    page.goto(f"{base}/d/{code}/")
    page.get_by_role("link", name="Voir et faire des propositions").click()
    page.wait_for_url(f"**/d/{code}/proposals/")
    page.wait_for_function("document.documentElement.dataset.wsOpen === '1'")  # set by proposals.js

    page.locator("details.propose summary").click()
    page.fill("#prop-title", "Une piste cyclable rue Jean-Jaurès")
    page.fill("#prop-text", "Sécuriser le trajet des collégiens entre la gare et le collège.")
    page.select_option("#prop-cat", "Mobilité")
    page.get_by_role("button", name="Publier ma proposition").click()
    page.locator("#flash.success").wait_for()
    card = page.locator("article.proposal", has_text="Une piste cyclable rue Jean-Jaurès")
    card.wait_for()  # pushed to every page, mine included
    proposal_id = int(card.get_attribute("data-proposal-id"))

    # Two others support it: the count moves on my phone without reloading.
    supporter(browser, base, code, proposal_id)
    supporter(browser, base, code, proposal_id)
    page.wait_for_function(
        f"document.querySelector('#proposal-{proposal_id}-progress .count').textContent.trim() === '2'"
    )
    page.screenshot(path=str(SCREENSHOTS / "proposals-390x844.png"))

    # My support is the third: the proposal becomes official, announced live, and put to the vote.
    card.get_by_role("button", name="Soutenir").click()
    page.locator("#proposal-news .news-title", has_text="Une piste cyclable").wait_for()
    page.locator(f"#proposal-{proposal_id}-progress .badge-official").wait_for()
    card.get_by_role("button", name="Soutenu — retirer mon soutien").wait_for()  # my answer may trail the push
    page.screenshot(path=str(SCREENSHOTS / "proposal-official-390x844.png"))

    page.locator("#proposal-news").get_by_role("link", name="Votez maintenant").click()
    page.wait_for_url(f"**/d/{code}/#poll-*")
    page.wait_for_function("window.__wsMessages > 0")
    poll = page.locator("article.poll", has_text="Une piste cyclable rue Jean-Jaurès")
    poll.get_by_role("button", name="Oui").click()
    page.locator("#flash.success").wait_for()
    poll.locator("button.opt.chosen", has_text="Oui").wait_for()
    poll.locator(".bar-num", has_text="1").first.wait_for()
    poll.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "proposal-vote-390x844.png"))
    ctx.close()
