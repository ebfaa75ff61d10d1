"""The console at scale: paged lists with exact counts, bulk approve/reject, the merge box asked for when it
opens (no merge list in the page), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.urls import reverse

from debates import selectors
from debates.models import ModerationLog, Question
from tests.debates.test_moderation import HX, act_url, login, pending  # noqa: F401 (fixtures below)
from tests.factories import make_debate, make_moderator, make_participant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"


@pytest.fixture
def debate():
    return make_debate(premoderation=True)


@pytest.fixture
def moderator(debate):
    return make_moderator(debate, username="camille")


def _pending_many(debate, n):
    author = make_participant(debate)
    return Question.objects.bulk_create(
        [Question(debate=debate, author=author, text=f"Question en attente numéro {i} sur la voirie") for i in range(n)]
    )


def test_console_pages_the_queue_and_has_no_merge_list(client, debate, moderator):
    _pending_many(debate, 120)
    login(client, moderator)
    page = client.get(reverse("moderate", args=[debate.code])).content.decode()
    assert page.count('data-item="mq-') == 50  # the first page of the queue
    assert "Page 1 of 3 (120 in all)" in page
    assert '<select name="into"' not in page  # no merge list per card any more
    page3 = client.get(reverse("moderate", args=[debate.code]) + "?pending=3").content.decode()
    assert "Page 3 of 3 (120 in all)" in page3 and "numéro 0 " in page3


def test_bulk_approve_and_reject_a_selection(client, debate, moderator):
    questions = _pending_many(debate, 6)
    login(client, moderator)
    chosen = [q.pk for q in questions[:4]]
    response = client.post(act_url(debate), {"action": "bulk_approve", "questions": chosen[:3]}, **HX)
    assert response.status_code == 200 and "3 questions approved." in response.content.decode()
    response = client.post(act_url(debate), {"action": "bulk_reject", "questions": chosen}, **HX)
    assert "1 questions rejected." in response.content.decode() and "3 skipped" in response.content.decode()
    statuses = dict(Question.objects.filter(debate=debate).values_list("pk", "status"))
    assert [statuses[i] for i in chosen] == ["approved"] * 3 + ["rejected"]
    assert ModerationLog.objects.filter(action="question_approved").count() == 3
    assert client.post(act_url(debate), {"action": "bulk_approve"}, **HX).status_code == 400


def test_bulk_needs_a_moderator(client, debate):
    questions = _pending_many(debate, 2)
    other = make_moderator(make_debate())
    login(client, other)
    response = client.post(act_url(debate), {"action": "bulk_approve", "questions": [q.pk for q in questions]}, **HX)
    assert response.status_code == 403
    assert not Question.objects.filter(debate=debate, status="approved").exists()


def test_merge_box_suggests_duplicates_then_searches(client, debate, moderator):
    author = make_participant(debate)
    dup = Question.objects.create(debate=debate, author=author, text="Quand les travaux du tramway seront-ils finis ?")
    kept = Question.objects.create(
        debate=debate, author=author, status="approved", text="Quand les travaux du tramway seront-ils terminés ?"
    )
    Question.objects.create(debate=debate, author=author, status="approved", text="Le budget de la médiathèque")
    login(client, moderator)
    url = reverse("moderate_merge_choices", args=[debate.code])
    html = client.get(url, {"question": dup.pk}).content.decode()
    assert "Likely duplicates" in html and f'value="{kept.pk}"' in html and "médiathèque" not in html
    html = client.get(url, {"question": dup.pk, "q": "médiath"}).content.decode()
    assert "médiathèque" in html and f'value="{kept.pk}"' not in html
    response = client.post(act_url(debate), {"action": "merge", "question": dup.pk, "into": kept.pk, "q": "x"}, **HX)
    assert response.status_code == 200
    assert Question.objects.get(pk=dup.pk).merged_into_id == kept.pk


def test_merge_box_is_for_moderators_only(client, debate):
    q = pending(debate)
    url = reverse("moderate_merge_choices", args=[debate.code])
    assert client.get(url, {"question": q.pk}).status_code == 302  # to the login page
    login(client, make_moderator(make_debate()))
    assert client.get(url, {"question": q.pk}).status_code == 403
    assert selectors.merge_candidates(debate, search="en attente") == [q]
