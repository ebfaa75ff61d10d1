"""A moderator's Undo of their own approve, reject or star (debates.services.question_moderation.question_undo):
the question returns to its state before, per-item fragments put it back where it was, and anything else is
refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from debates import services
from debates.errors import ServiceError
from debates.models import Debate, ModerationLog, Question
from tests.factories import make_debate, make_moderator, make_question

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def debate():
    return make_debate(language="en", premoderation=True)


@pytest.fixture
def moderator(debate):
    return make_moderator(debate)


def test_undo_an_approval_puts_the_question_back_in_the_queue(broadcasts, debate, moderator):
    q = make_question(debate, approve=False)
    services.question_approve(question=q, actor=moderator)
    version = Question.objects.get(pk=q.pk).version
    broadcasts.clear()
    services.question_undo(question=q, actor=moderator, action="approve")
    q.refresh_from_db()
    assert q.status == Question.Status.PENDING and q.approved_at is None and q.version == version + 1
    assert {f"q:{q.pk}", f"p+:{q.pk}", "counters"} <= broadcasts.keys()
    moderators = broadcasts.html("moderators.en")
    assert 'hx-swap-oob="afterbegin:#mq-list"' in moderators  # back at the top of the queue
    assert f'id="ma-{q.pk}" hx-swap-oob="delete"' in moderators  # out of the approved list
    assert f'id="q-{q.pk}" hx-swap-oob="delete"' in broadcasts.html("public.en")  # off the citizens' list
    assert ModerationLog.objects.filter(debate=debate, action="question_undone").count() == 1


def test_undo_a_withdrawal_publishes_the_question_again(broadcasts, debate, moderator):
    q = make_question(debate, actor=moderator)
    services.question_reject(question=q, actor=moderator, reason="Hors sujet")
    broadcasts.clear()
    services.question_undo(question=q, actor=moderator, action="reject")
    q.refresh_from_db()
    assert q.status == Question.Status.APPROVED and q.rejection_reason == ""
    assert f"q+:{q.pk}" in broadcasts.keys()
    assert 'hx-swap-oob="afterbegin:#qlist"' in broadcasts.html("public.en")


def test_undo_a_star(broadcasts, debate, moderator):
    q = make_question(debate, actor=moderator)
    services.question_star(question=q, actor=moderator, starred=True)
    broadcasts.clear()
    services.question_undo(question=q, actor=moderator, action="star")
    q.refresh_from_db()
    assert not q.starred and broadcasts.keys() >= {f"q:{q.pk}"}


def test_only_ones_own_last_action_of_a_moment_ago(debate, moderator):
    q = make_question(debate, approve=False)
    services.question_approve(question=q, actor=moderator)
    with pytest.raises(ServiceError) as e:
        services.question_undo(question=q, actor=make_moderator(debate), action="approve")  # another moderator's
    assert e.value.status == 409
    with pytest.raises(ServiceError):
        services.question_undo(question=q, actor=moderator, action="reject")  # not what happened
    with pytest.raises(ServiceError) as e:
        services.question_undo(question=q, actor=moderator, action="mute")
    assert e.value.status == 400
    last = ModerationLog.objects.filter(debate=debate, action="question_approved").get()
    ModerationLog.objects.filter(pk=last.pk).update(created_at=last.created_at - timedelta(minutes=2))
    with pytest.raises(ServiceError):
        services.question_undo(question=q, actor=moderator, action="approve")  # too late


def test_an_approved_question_on_screen_cannot_be_unapproved(debate, moderator):
    q = make_question(debate, approve=False)
    services.question_approve(question=q, actor=moderator)
    Debate.objects.filter(pk=debate.pk).update(on_screen=q)
    with pytest.raises(ServiceError):
        services.question_undo(question=q, actor=moderator, action="approve")


def test_the_console_offers_undo_after_an_approval(client, debate, moderator):
    q = make_question(debate, approve=False)
    client.force_login(moderator)
    url = reverse("moderate_act", args=[debate.code])
    html = client.post(url, {"action": "approve", "question": q.pk}, **HX).content.decode()
    assert "data-undo" in html and 'name="undo" value="approve"' in html
    assert client.post(url, {"action": "undo", "undo": "approve", "question": q.pk}, **HX).status_code == 200
    assert Question.objects.get(pk=q.pk).status == Question.Status.PENDING
    assert "data-undo" not in client.post(url, {"action": "clock", "clock_action": "start"}, **HX).content.decode()
