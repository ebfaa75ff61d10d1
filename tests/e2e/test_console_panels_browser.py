"""A card's "⋯" panel in a real browser (issue 13): it is asked for when it opens and shows the mute, reject with a
reason, edit and merge forms; a live swap of the card keeps it open with what the moderator typed; rejecting with a
reason from it works. The screen link panel comes in its own request."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import requires_chromium
from .test_console_keyboard_browser import login, wait_connected

pytestmark = [pytest.mark.e2e, pytest.mark.browser, requires_chromium]

CODE = "PANEL7"
SHOTS = Path("/tmp/console-shots")
SETUP = f"""
import json
from django.contrib.auth import get_user_model
from django.utils import timezone
from debates import services
from debates.models import Debate, DebateRole
d = Debate.objects.create(title="Conseil de quartier : mobilités", code="{CODE}", status="live", opened_at=timezone.now(),
                          scheduled_start=timezone.now())
u = get_user_model().objects.create_user("panel", password="pw-panel-123")
DebateRole.objects.create(debate=d, user=u, role="moderator")
ids = []
for i, text in enumerate(["Quand le tram passera-t-il le dimanche ?", "Le tram passera-t-il aussi le dimanche soir ?",
                          "Pourquoi le marché ferme-t-il si tôt ?"]):
    p = services.participant_join(debate=d, display_name=f"Habitant {{i}}")
    ids.append(services.question_submit(debate=d, participant=p, text=text).pk)
print(json.dumps(ids))
"""


def _star(page, qid: str) -> None:
    """Another moderator's action on this card, as a plain request: only the live push re-renders it here."""
    status = page.evaluate(
        """async ([code, qid]) => {
            const r = await fetch(`/d/${code}/moderate/act`, {method: "POST", headers: {
              "X-CSRFToken": JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"], "HX-Request": "true",
              "Content-Type": "application/x-www-form-urlencoded"}, body: `action=star&question=${qid}`});
            return r.status;
        }""",
        [CODE, qid],
    )
    assert status == 200


def test_the_more_panel_loads_when_opened_and_survives_a_live_swap(daphne_server, browser):
    import json

    ids = [str(i) for i in json.loads(daphne_server.shell(SETUP).strip().splitlines()[-1])]
    page = login(browser, daphne_server.url, "panel", "pw-panel-123", f"/d/{CODE}/moderate/")
    wait_connected(page)
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "/more?" in r.url else None)
    page.locator("#mod-screenlink .screen-preview iframe").wait_for(state="attached")  # the secret, asked apart
    assert page.locator("#mq-reject-" + ids[0]).count() == 0  # nothing rendered before it opens

    tram, other = page.locator(f"#mq-{ids[0]}"), page.locator(f"#mq-{ids[1]}")
    tram.locator("details.more > summary").click()
    panel = tram.locator(f"#mq-panel-{ids[0]}")
    panel.locator(f"#mq-reject-{ids[0]} input[name=reason]").wait_for()
    assert panel.locator(f"#mq-edit-{ids[0]} textarea").input_value() == "Quand le tram passera-t-il le dimanche ?"
    assert panel.locator("button[value=mute]").is_visible()
    panel.locator(".merge-choices .merge-choice", has_text="dimanche soir").wait_for()  # the merge box's own load
    assert len(asked) == 1

    # Typing in another card's open panel, then a live swap of that card: still open, the text still there.
    other.locator("details.more > summary").click()
    edit = other.locator(f"#mq-edit-{ids[1]} textarea")
    edit.wait_for()
    edit.fill("Le tram passera-t-il le dimanche soir, après 22 h ?")
    _star(page, ids[1])
    page.locator(f"#mq-{ids[1]} .badge-star").wait_for()  # the card was re-rendered by the push
    assert page.locator(f"#mq-more-{ids[1]}").evaluate("d => d.open")
    assert (
        page.locator(f"#mq-edit-{ids[1]} textarea").input_value()
        == "Le tram passera-t-il le dimanche soir, après 22 h ?"
    )
    page.wait_for_timeout(300)
    assert len(asked) == 2  # kept, not asked again

    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "console-more-open-1440.png"))

    # Reject the first with a reason, from its panel.
    panel.locator("input[name=reason]").fill("Doublon de la question sur le tram du dimanche soir")
    panel.locator(f"#mq-reject-{ids[0]} button").click()
    tram.wait_for(state="detached")
    page.locator("#mod-flash.success").wait_for()
    stored = daphne_server.shell(
        f"from debates.models import Question; q = Question.objects.get(pk={ids[0]}); print(q.status, q.rejection_reason)"
    )
    assert stored.strip().splitlines()[-1] == "rejected Doublon de la question sur le tram du dimanche soir"


ARGUED = f"""
import json
from debates import services
from debates.models import Debate, DebateRole
d = Debate.objects.get(code="{CODE}")
mod = DebateRole.objects.get(debate=d, role="moderator").user
poll = services.poll_create(debate=d, actor=mod, text="Faut-il piétonniser le centre ?", kind="yna",
                            open_now=True, results="live")
p = services.participant_join(debate=d, display_name="Lina")
ids = [services.argument_post(poll=poll, participant=p, side=side, text=text).pk for side, text in
       (("for", "Moins de voitures, un air plus pur."), ("against", "Les livraisons deviennent impossibles."))]
print(json.dumps([poll.pk] + ids))
"""


def test_a_propositions_arguments_load_when_opened_and_again_after_a_push(daphne_server, browser):
    import json

    daphne_server.shell(SETUP)
    poll, kept, other = json.loads(daphne_server.shell(ARGUED).strip().splitlines()[-1])
    page = login(browser, daphne_server.url, "panel", "pw-panel-123", f"/d/{CODE}/moderate/")
    wait_connected(page)
    asked = []
    page.on("request", lambda r: asked.append(r.url) if r.url.endswith(f"/poll/{poll}/arguments") else None)
    assert page.locator(".marg-text").count() == 0 and asked == []  # nothing listed before it opens

    page.locator(f"#margs-{poll} > summary").click()
    listed = page.locator(f"#margs-panel-{poll}")
    listed.locator(".marg-text", has_text="un air plus pur").wait_for()
    assert listed.locator("button[value=arg_hide]").count() == 2 and len(asked) == 1

    # Another moderator hides one (a plain request): the push of the polls keeps the list open and lists it again.
    status = page.evaluate(
        """async ([code, arg]) => {
            const r = await fetch(`/d/${code}/moderate/act`, {method: "POST", headers: {
              "X-CSRFToken": JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"], "HX-Request": "true",
              "Content-Type": "application/x-www-form-urlencoded"}, body: `action=arg_hide&argument=${arg}`});
            return r.status;
        }""",
        [CODE, other],
    )
    assert status == 200
    listed.locator("li.marg-hidden button[value=arg_restore]").wait_for()
    assert page.locator(f"#margs-{poll}").evaluate("d => d.open") and len(asked) == 2

    # Restored from the listed panel itself.
    listed.locator("li.marg-hidden button[value=arg_restore]").click()
    page.wait_for_function(
        "id => document.querySelectorAll(`#margs-panel-${id} li.marg-visible button[value=arg_hide]`).length === 2",
        arg=poll,
    )
    assert page.locator(f"#margs-panel-{poll} li.marg-hidden").count() == 0
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "console-arguments-open-1440.png"))
