"""Concurrent supports on PostgreSQL (real transactions, one connection per thread): the threshold is crossed
exactly once, and every support is counted once."""

from __future__ import annotations

import threading

import pytest

from debates import services
from debates.models import ModerationLog, Poll
from debates.models_consult import Proposal, ProposalSupport
from tests.conftest import requires_postgres
from tests.consult.factories import make_consultation, make_proposal
from tests.debates.test_concurrency_pg import run_in_threads
from tests.factories import make_participant

pytestmark = [requires_postgres, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def announced(monkeypatch):
    calls: list[frozenset[str]] = []
    lock = threading.Lock()

    def record(debate_id, keys, *, hot=False, soon=False):
        with lock:
            calls.append(frozenset(keys))

    monkeypatch.setattr(services.proposals, "announce", record)
    return calls


def test_concurrent_supports_cross_the_threshold_exactly_once(announced):
    debate = make_consultation(threshold=10)
    proposal = make_proposal(debate)
    people = [make_participant(debate) for _ in range(24)]

    def support(i: int) -> None:
        services.proposal_support(proposal=proposal, participant=people[i])

    assert run_in_threads(24, support) == []
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.OFFICIAL
    assert proposal.support_count == 24 == ProposalSupport.objects.filter(proposal=proposal).count()
    assert Poll.objects.filter(debate=debate).count() == 1
    assert ModerationLog.objects.filter(action="proposal_official").count() == 1
    assert sum(1 for keys in announced if f"proposal_news:{proposal.pk}" in keys) == 1


def test_concurrent_bursts_through_the_group_commit_cross_it_once(announced):
    debate = make_consultation(threshold=15)
    proposal = make_proposal(debate)

    # 8 threads, each writing a burst of 5 newcomers' supports in one transaction (as the hot path does).
    def burst(i: int) -> None:
        outcome = services.proposal_support_many([services.Upvote(debate.code, proposal.pk, {}) for _ in range(5)])
        assert all(isinstance(o, services.Stored) for o in outcome)

    assert run_in_threads(8, burst) == []
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.OFFICIAL and proposal.support_count == 40
    assert ProposalSupport.objects.filter(proposal=proposal).count() == 40
    assert Poll.objects.filter(debate=debate).count() == 1
    assert ModerationLog.objects.filter(action="proposal_official").count() == 1
