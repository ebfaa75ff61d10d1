"""manage.py demo: created once; --reset restores it (a closed or played-with demo comes back live)."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from debates import services
from debates.management.commands.demo import DEMO_CODE, MODERATOR
from debates.models import Debate, Question

pytestmark = pytest.mark.django_db


def _demo(**options) -> Debate:
    call_command("demo", stdout=io.StringIO(), **options)
    return Debate.objects.get(code=DEMO_CODE)


def test_reset_restores_a_closed_demo():
    debate = _demo()
    assert debate.status == Debate.Status.LIVE
    fresh_questions = Question.objects.filter(debate=debate).count()
    moderator = debate.roles.filter(role="moderator").first().user
    citizen = services.participant_join(debate=debate)
    services.question_submit(debate=debate, participant=citizen, text="Une question de plus ?")
    services.debate_set_status(debate=debate, status=Debate.Status.CLOSED, actor=moderator)
    moderator.set_password("changed-by-someone")
    moderator.save()

    assert _demo().status == Debate.Status.CLOSED  # without --reset the demo is left as it is

    restored = _demo(reset=True)
    assert restored.status == Debate.Status.LIVE and restored.pk != debate.pk
    assert Question.objects.filter(debate=restored).count() == fresh_questions
    assert not Debate.objects.filter(pk=debate.pk).exists()
    assert authenticate(username=MODERATOR[0], password=MODERATOR[1]) is not None
    assert Debate.objects.filter(code=DEMO_CODE).count() == 1


def test_reset_creates_the_demo_when_there_is_none():
    assert _demo(reset=True).status == Debate.Status.LIVE
