"""/api/d/<CODE>/state is read a window at a time: a consultation of 150,000 contributions is never one answer. The
questions come 100 per answer by default (at most 500) with `questions_total` and a `next_cursor`; arguments a
window per side with their totals; bad parameters are a JSON 400."""

from __future__ import annotations

import pytest
from django.urls import reverse

from debates import services
from debates.models import Question
from tests.factories import make_debate, make_moderator, make_participant, make_poll

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_debate():
    debate = make_debate(premoderation=False)
    author = make_participant(debate)
    Question.objects.bulk_create(
        Question(
            debate=debate, author=author, text=f"Question d'API numéro {i} ?", status="approved", upvote_count=i % 17
        )
        for i in range(2_300)
    )
    return debate


def test_the_default_answer_is_one_window_with_the_total_and_a_cursor(client, big_debate):
    data = client.get(reverse("api_state", args=[big_debate.code])).json()
    assert len(data["questions"]) == 100 and data["questions_total"] == 2_300 and data["next_cursor"]
    votes = [q["upvotes"] for q in data["questions"]]
    assert votes == sorted(votes, reverse=True)


def test_windows_walk_every_question_exactly_once(client, big_debate):
    url = reverse("api_state", args=[big_debate.code])
    seen, cursor, answers = [], None, 0
    while True:
        data = client.get(url, {"limit": 500, "order": "recent", **({"cursor": cursor} if cursor else {})}).json()
        answers += 1
        seen += [q["id"] for q in data["questions"]]
        cursor = data["next_cursor"]
        if cursor is None:
            break
    assert answers == 5 and len(seen) == len(set(seen)) == 2_300
    assert seen == sorted(seen, reverse=True)


@pytest.mark.parametrize(
    "params", [{"cursor": "forged"}, {"order": "sideways"}, {"limit": "0"}, {"limit": "501"}, {"limit": "many"}]
)
def test_bad_parameters_are_a_json_400(client, big_debate, params):
    response = client.get(reverse("api_state", args=[big_debate.code]), params)
    assert response.status_code == 400 and response.json()["error"]


def test_arguments_are_a_window_per_side_with_their_totals(client):
    debate = make_debate(premoderation=False)
    poll = make_poll(debate, actor=make_moderator(debate), kind="yna")
    for i in range(13):
        services.argument_post(poll=poll, participant=make_participant(debate), side="for", text=f"Pour {i}.")
    services.argument_post(poll=poll, participant=make_participant(debate), side="against", text="Contre.")
    (entry,) = [p for p in client.get(reverse("api_state", args=[debate.code])).json()["polls"] if p["id"] == poll.pk]
    assert len(entry["arguments"]["for"]) == 10 and len(entry["arguments"]["against"]) == 1
    assert entry["arguments_total"] == {"for": 13, "against": 1}
