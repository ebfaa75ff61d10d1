"""The report in a browser (issue 10, item 11): chart labels at least 11 px on a phone and a laptop, no sideways
scrolling, French numbers. Saves screenshots/report.png (1440×900) and screenshots/report-390x844.png."""

from __future__ import annotations

import json

import pytest

from .conftest import SCREENSHOTS, requires_chromium

pytestmark = [pytest.mark.e2e, pytest.mark.browser, requires_chromium]

# A closed town hall of 80 participants: questions in every state, two polls whose votes spread over 40 minutes,
# attendance samples every minute.
SETUP = """
import json, random
from datetime import timedelta
from django.utils import timezone
from debates import services
from debates.models import Debate, PresenceSample, Question, Vote
from tests.factories import make_moderator, make_official
rng = random.Random(7)
from django.db import transaction
with transaction.atomic():  # one commit: seconds, not minutes, on SQLite under load
    d = Debate.objects.create(title="Conseil citoyen : quelle ville pour 2030 ?", status="live", premoderation=True,
                              word_filter="", opened_at=timezone.now())
    mod = make_moderator(d, username="report-mod")
    maire = make_official(d, title="Hélène Durand, maire", username="report-maire")
    people = [services.participant_join(debate=d) for _ in range(80)]
    qs = [services.question_submit(debate=d, participant=people[i], text=f"Question {i} sur le tram et le logement ?")
          for i in range(40)]
    for q in qs[:20]:
        services.question_approve(question=q, actor=mod)
    for q in qs[20:30]:
        services.question_reject(question=q, actor=mod, reason="Hors sujet")
    for q in qs[30:34]:
        services.question_merge(duplicate=q, into=qs[0], actor=mod)
    services.answer_post(question=qs[0], actor=maire, text="Les travaux commencent en 2027.")
    yna = services.poll_create(debate=d, actor=mod, text="Piétonniser la rue de la République ?", kind="yna", open_now=True)
    choice = services.poll_create(debate=d, actor=mod, text="Quelle priorité pour le budget participatif ?", kind="choice",
                                  options=["Pistes cyclables", "Espaces verts", "Écoles"], open_now=True)
    for poll in (yna, choice):
        options = list(poll.options.order_by("position"))
        for p in people[: rng.randint(50, 75)]:
            services.vote_cast(poll=poll, participant=p, option_id=rng.choice(options).pk)
    start = timezone.now() - timedelta(minutes=45)
    for poll in (yna, choice):
        for v in Vote.objects.filter(poll=poll):
            Vote.objects.filter(pk=v.pk).update(created_at=start + timedelta(seconds=rng.randint(60, 2400)))
        type(poll).objects.filter(pk=poll.pk).update(opened_at=start)
    for minute in range(45):
        PresenceSample.objects.create(debate=d, at=start + timedelta(minutes=minute),
                                      connected=min(80, 10 + minute * 2 + rng.randint(0, 15)))
    for poll in (yna, choice):
        services.poll_close(poll=poll, actor=mod)
    services.debate_set_status(debate=d, status="closed", actor=mod)
print(json.dumps({"code": d.code}))
"""


def test_report_is_readable_on_a_phone_and_a_laptop(daphne_server, browser):
    code = json.loads(daphne_server.shell(SETUP).strip().splitlines()[-1])["code"]
    SCREENSHOTS.mkdir(exist_ok=True)
    for (width, height), name in (((1440, 900), "report.png"), ((390, 844), "report-390x844.png")):
        ctx = browser.new_context(
            viewport={"width": width, "height": height},
            device_scale_factor=1,
            extra_http_headers={"Accept-Language": "fr"},
        )
        page = ctx.new_page()
        page.goto(f"{daphne_server.url}/d/{code}/report/")
        sizes = page.evaluate("""Array.from(document.querySelectorAll('.chart .tick')).map(el => {
            const r = el.getBoundingClientRect();
            return [parseFloat(getComputedStyle(el).fontSize), r.height, el.textContent];
        })""")
        assert len(sizes) >= 30  # three charts, 5 + 5 labels each
        assert all(size >= 11 and h >= 11 for size, h, _t in sizes), [s for s in sizes if s[0] < 11 or s[1] < 11]
        # Whole people and votes, French grouping; no fractional tick.
        assert all("," not in t and "." not in t for _s, _h, t in sizes)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        h1 = page.inner_text("h1")
        assert h1 == "Conseil citoyen : quelle ville pour 2030 ?"
        page.screenshot(path=str(SCREENSHOTS / name), full_page=True)
        ctx.close()
