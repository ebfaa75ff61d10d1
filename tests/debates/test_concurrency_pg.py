"""Many participants voting and changing their votes at once on one poll (PostgreSQL, real transactions)."""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from django.db import connection, connections

from debates import selectors, services
from debates.models import Question, QuestionUpvote, Vote
from debates.services import ServiceError
from tests.conftest import requires_postgres
from tests.factories import make_debate, make_participant, make_poll, make_question

pytestmark = [requires_postgres, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 12
ROUNDS = 6


@pytest.fixture(autouse=True)
def announced(monkeypatch):
    """What these tests measure is the database; rendering every fragment 200 times would only slow them down.
    announce() is replaced by a recorder (publishing itself is covered by the service and consumer tests)."""
    calls: list[tuple[int, frozenset[str]]] = []
    lock = threading.Lock()

    def record(debate_id, keys, *, hot=False):
        with lock:
            calls.append((debate_id, frozenset(keys)))

    for module in (
        services.debates,
        services.questions,
        services.question_moderation,
        services.polls,
        services.arguments,
        services.clock,
    ):
        monkeypatch.setattr(module, "announce", record)  # patched where it is used
    return calls


def run_in_threads(n: int, target) -> list[BaseException]:
    """Start n threads together (a barrier), each with its own database connection; return their errors."""
    barrier = threading.Barrier(n)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            target(i)
        except BaseException as exc:  # noqa: BLE001 — reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a voter thread hung"
    return errors


def test_concurrent_votes_and_changes_are_exact_with_no_duplicate_row(announced):
    assert connection.vendor == "postgresql"
    debate = make_debate()
    poll = make_poll(debate)
    options = [o.pk for o in poll.options.all()]
    participants = [make_participant(debate) for _ in range(THREADS * 2)]

    def voter(i: int) -> None:
        rng = random.Random(i)
        # Two participants per thread, and each participant is also hammered by a second thread: first votes race
        # against each other (the unique constraint path) and changes race against first votes.
        mine = [participants[2 * i], participants[2 * i + 1], participants[(2 * i + 2) % len(participants)]]
        for _round in range(ROUNDS):
            for p in mine:
                option = rng.choice(options)
                services.vote_cast(poll=poll, participant=p, option_id=option)

    errors = run_in_threads(THREADS, voter)
    assert errors == []
    # Whatever the interleaving, each participant has exactly one vote row, and the tally equals the rows.
    rows = list(Vote.objects.filter(poll=poll).values_list("participant_id", "option_id"))
    assert len(rows) == len({p for p, _o in rows}) == len(participants)
    by_option = Counter(o for _p, o in rows)
    tally = selectors.poll_tally(poll)
    assert {o["id"]: o["count"] for o in tally["options"]} == {o: by_option.get(o, 0) for o in options}
    assert tally["total"] == len(participants)
    # Every accepted vote announced its poll widget (a retried insert announces once more, never less).
    votes_cast = THREADS * ROUNDS * 3
    assert sum(1 for _d, keys in announced if keys == {f"poll:{poll.pk}"}) >= votes_cast


def test_concurrent_last_votes_are_the_ones_counted():
    """Each participant's sequence of changes is serial; their last choice is what the tally shows."""
    debate = make_debate()
    poll = make_poll(debate)
    options = [o.pk for o in poll.options.all()]
    participants = [make_participant(debate) for _ in range(THREADS)]
    last: dict[int, int] = {}

    def voter(i: int) -> None:
        rng = random.Random(100 + i)
        choice = None
        for _round in range(ROUNDS):
            choice = rng.choice(options)
            services.vote_cast(poll=poll, participant=participants[i], option_id=choice)
        last[participants[i].pk] = choice

    assert run_in_threads(THREADS, voter) == []
    assert dict(Vote.objects.filter(poll=poll).values_list("participant_id", "option_id")) == last
    expected = Counter(last.values())
    assert [o["count"] for o in selectors.poll_tally(poll)["options"]] == [expected.get(o, 0) for o in options]


def test_concurrent_upvotes_count_once_each():
    debate = make_debate()
    question = make_question(debate)
    participants = [make_participant(debate) for _ in range(THREADS)]
    refused: list[int] = []

    def upvoter(i: int) -> None:
        # Every participant tries twice, and a neighbour's thread tries for them as well.
        for p in (participants[i], participants[(i + 1) % THREADS], participants[i]):
            try:
                services.question_upvote(question=question, participant=p)
            except ServiceError as exc:
                assert exc.status == 409
                refused.append(p.pk)

    assert run_in_threads(THREADS, upvoter) == []
    question = Question.objects.get(pk=question.pk)
    assert question.upvote_count == QuestionUpvote.objects.filter(question=question).count() == THREADS
    assert len(refused) == 2 * THREADS
