"""The scheduler: dates enforced on every write, the tick's conditional transitions, manage.py tick."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from debates import scheduler, services
from debates.models import Debate, ModerationLog, Poll
from tests.factories import make_debate, make_participant, make_poll

pytestmark = pytest.mark.django_db


def scheduled(start_in: timedelta, length: timedelta = timedelta(hours=1), **extra) -> Debate:
    now = timezone.now()
    debate = make_debate(status=Debate.Status.SCHEDULED, auto_schedule=True, **extra)
    Debate.objects.filter(pk=debate.pk).update(scheduled_start=now + start_in, scheduled_end=now + start_in + length)
    return Debate.objects.get(pk=debate.pk)


def test_the_tick_opens_then_closes_at_the_dates(broadcasts):
    debate = scheduled(timedelta(minutes=10))
    manual = make_debate(status=Debate.Status.SCHEDULED)  # auto_schedule off: never moved by the tick
    Debate.objects.filter(pk=manual.pk).update(scheduled_start=timezone.now() - timedelta(minutes=5))
    assert scheduler.tick()["debate_open"] == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        assert scheduler.tick()["debate_open"] == 1
        assert scheduler.tick()["debate_open"] == 0  # applied once
        debate.refresh_from_db()
        assert debate.status == Debate.Status.LIVE and debate.opened_at is not None
        assert "status" in broadcasts.keys()
    poll = make_poll(debate)
    with time_machine.travel(timezone.now() + timedelta(minutes=75), tick=False):
        assert scheduler.tick()["debate_close"] == 1
        debate.refresh_from_db()
        assert debate.status == Debate.Status.CLOSED and debate.closed_at is not None
        assert Poll.objects.get(pk=poll.pk).status == Poll.Status.CLOSED
    assert Debate.objects.get(pk=manual.pk).status == Debate.Status.SCHEDULED
    entries = ModerationLog.objects.filter(debate=debate, action="debate_status").order_by("id")
    assert [e.after["status"] for e in entries] == ["live", "closed"] and entries[0].actor is None


def test_a_debate_past_its_end_accepts_nothing_even_if_no_tick_ran():
    debate = scheduled(timedelta(minutes=-30), length=timedelta(minutes=20))
    Debate.objects.filter(pk=debate.pk).update(status=Debate.Status.LIVE)
    debate.refresh_from_db()
    participant = make_participant(debate)
    with pytest.raises(services.ServiceError) as exc:
        services.question_submit(debate=debate, participant=participant, text="Trop tard pour demander ?")
    assert exc.value.status == 409 and "clôturé" in exc.value.message
    debate.auto_schedule = False  # a manual debate may overrun its announced end
    debate.save()
    services.question_submit(debate=debate, participant=participant, text="Encore une question ?")


def test_the_registry_takes_other_transitions_and_survives_a_failing_one():
    calls = []

    @scheduler.due_transition("test_ok")
    def ok(now):
        calls.append(now)
        return 2

    @scheduler.due_transition("test_broken")
    def broken(now):
        raise RuntimeError("boom")

    try:
        applied = scheduler.tick()
        assert applied["test_ok"] == 2 and applied["test_broken"] == 0 and "debate_open" in applied
        assert len(calls) == 1
    finally:
        scheduler._REGISTRY.pop("test_ok")
        scheduler._REGISTRY.pop("test_broken")


def test_manage_py_tick(capsys):
    debate = scheduled(timedelta(minutes=-1))
    call_command("tick")
    assert "debate_open: 1" in capsys.readouterr().out
    assert Debate.objects.get(pk=debate.pk).status == Debate.Status.LIVE


def test_a_scheduled_debate_counts_down_to_its_start_on_phones_and_the_screen(client):
    debate = scheduled(timedelta(hours=2))
    start_ms = str(int(debate.scheduled_start.timestamp() * 1000))
    phone = client.get(f"/d/{debate.code}/").content.decode()
    screen = client.get(f"/d/{debate.code}/screen/{debate.screen_token}/").content.decode()
    for html in (phone, screen):
        assert 'data-state="until"' in html and f'data-deadline-ms="{start_ms}"' in html
