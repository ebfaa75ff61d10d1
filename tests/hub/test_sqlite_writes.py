"""The embedded mode (SQLite) under concurrent writes: writers wait for one another, none fails (issue 12, item 11).

Daphne runs views in several threads. SQLite allows one writer at a time: the settings give each connection a
busy timeout (wait for the lock instead of failing) and take the write lock when a transaction begins
("IMMEDIATE"), because a transaction that read first and then tries to write is refused at once, whatever the
timeout, when another wrote meanwhile. The test database is a file as in production (tests/conftest.py).
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from debates import services
from debates.models import Question
from tests.factories import make_debate, make_participant

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the embedded mode's SQLite only"),
]


def test_the_database_waits_for_locks_and_takes_them_up_front():
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "memory" not in str(connection.settings_dict["NAME"])


def test_concurrent_read_then_write_transactions_all_succeed():
    debate = make_debate(premoderation=False)
    authors = [make_participant(debate) for _ in range(6)]
    start = threading.Barrier(len(authors))
    errors: list[BaseException] = []

    def writer(author) -> None:
        try:
            start.wait()
            for i in range(5):
                with transaction.atomic():
                    seen = Question.objects.filter(debate=debate).count()  # read, then write: the upgrade case
                    time.sleep(0.005)  # hold the transaction so that the others must wait for it
                    services.question_submit(debate=debate, participant=author, text=f"Question {seen} {i} ?")
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(a,)) for a in authors]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Question.objects.filter(debate=debate).count() == 30
