"""Several server processes ticking at once (PostgreSQL, real transactions): each due transition is applied and
announced by exactly one of them."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from debates import scheduler
from debates.models import Debate, ModerationLog
from tests.conftest import requires_postgres
from tests.factories import make_debate

pytestmark = [requires_postgres, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

TICKERS = 8


def test_concurrent_ticks_apply_each_transition_once(monkeypatch):
    announced: list[int] = []
    lock = threading.Lock()

    def record(debate_id, keys, **kwargs):
        with lock:
            announced.append(debate_id)

    monkeypatch.setattr("live.publish.announce", record)  # imported inside the transitions
    now = timezone.now()
    due = []
    for _ in range(5):
        debate = make_debate(status=Debate.Status.SCHEDULED, auto_schedule=True)
        Debate.objects.filter(pk=debate.pk).update(
            scheduled_start=now - timedelta(minutes=1), scheduled_end=now + timedelta(hours=1)
        )
        due.append(debate.pk)
    results: list[dict[str, int]] = []
    barrier = threading.Barrier(TICKERS)

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            applied = scheduler.tick()
            with lock:
                results.append(applied)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(TICKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == TICKERS
    assert sum(r["debate_open"] for r in results) == 5
    assert sorted(announced) == sorted(due)  # each announced once, by the process that won it
    assert set(Debate.objects.filter(pk__in=due).values_list("status", flat=True)) == {Debate.Status.LIVE}
    assert ModerationLog.objects.filter(debate_id__in=due, action="debate_status").count() == 5
