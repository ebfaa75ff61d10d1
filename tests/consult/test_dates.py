"""Consultations with dates: every write refused after the close whatever the page shows (hot path included), phases
on a timeline, and the tick closing a consultation at its date with no one online (time moved with time-machine)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from debates import services
from debates.models import Debate, ModerationLog, Poll, Vote
from debates.models_consult import Phase
from debates.services import ServiceError
from tests.consult.factories import make_consultation, make_proposal
from tests.factories import make_moderator, make_participant, make_poll

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


def dated(debate, *, closes_in: timedelta, phases=()):
    now = timezone.now()
    return services.consultation_set_dates(
        debate=debate,
        actor=make_moderator(debate),
        opens_at=now - timedelta(days=1),
        closes_at=now + closes_in,
        phases=list(phases),
    )


def test_a_write_after_the_close_is_refused_even_before_any_tick():
    debate = make_consultation(threshold=5)
    poll = make_poll(debate)
    proposal = make_proposal(debate)
    dated(debate, closes_in=timedelta(hours=1))
    person = make_participant(debate)
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        assert Debate.objects.get(pk=debate.pk).status == Debate.Status.LIVE  # no tick ran
        with pytest.raises(ServiceError, match="closed on"):
            services.vote_cast(poll=poll, participant=person, option_id=poll.options.first().pk)
        with pytest.raises(ServiceError, match="closed on"):
            services.proposal_support(proposal=proposal, participant=person)
        with pytest.raises(ServiceError, match="closed on"):
            services.question_submit(debate=debate, participant=person, text="Trop tard ?")
        # The burst path refuses too (the view then explains it).
        (refusal,) = services.vote_cast_many([services.Ballot(debate.code, poll.pk, poll.options.first().pk, {})])
        assert isinstance(refusal, ServiceError) and "closed on" in refusal.message
    assert not Vote.objects.filter(poll=poll).exists()


def test_the_tick_closes_the_consultation_at_its_date_with_no_one_online():
    debate = make_consultation()
    poll = make_poll(debate)
    dated(debate, closes_in=timedelta(days=90))
    assert services.consultation_tick() == []
    with time_machine.travel(timezone.now() + timedelta(days=90, minutes=1)):
        call_command("consult_tick")
        assert services.consultation_tick() == []  # exactly once: nothing left to close
    debate.refresh_from_db()
    assert debate.status == Debate.Status.CLOSED and debate.closed_at
    assert Poll.objects.get(pk=poll.pk).status == Poll.Status.CLOSED
    assert ModerationLog.objects.filter(action="debate_status", after__status="closed").count() == 1


def test_phases_accept_proposals_then_votes_and_show_as_a_timeline(client):
    debate = make_consultation(threshold=5)
    now = timezone.now()
    dated(
        debate,
        closes_in=timedelta(days=30),
        phases=[
            ("proposals", now - timedelta(days=1), now + timedelta(days=10)),
            ("deliberation", now + timedelta(days=10), now + timedelta(days=20)),
            ("vote", now + timedelta(days=20), now + timedelta(days=30)),
        ],
    )
    poll = make_poll(debate)
    person = make_participant(debate)
    make_proposal(debate, participant=person)  # the proposals phase
    with pytest.raises(ServiceError, match="timeline"):
        services.vote_cast(poll=poll, participant=person, option_id=poll.options.first().pk)
    with time_machine.travel(now + timedelta(days=21)):
        with pytest.raises(ServiceError, match="timeline"):
            make_proposal(debate, participant=person)
        services.vote_cast(poll=poll, participant=person, option_id=poll.options.first().pk)
    page = client.get(f"/d/{debate.code}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Timeline of the consultation" in page and "Closes in" in page and "Deliberation" in page
    assert Phase.objects.filter(consultation__debate=debate).count() == 3
    with pytest.raises(ServiceError):
        services.consultation_set_dates(
            debate=debate, actor=make_moderator(debate), opens_at=now, closes_at=now, phases=[]
        )


def test_the_servers_own_scheduler_tick_closes_the_consultation_too():
    """No cron needed: the tick every server process runs (debates.scheduler) includes the consultations' close."""
    from debates import scheduler

    debate = make_consultation()
    dated(debate, closes_in=timedelta(days=2))
    assert scheduler.tick()["consultation_close"] == 0
    applied = scheduler.tick(timezone.now() + timedelta(days=2, minutes=1))
    assert applied["consultation_close"] == 1
    debate.refresh_from_db()
    assert debate.status == Debate.Status.CLOSED
    assert scheduler.tick(timezone.now() + timedelta(days=2, minutes=2))["consultation_close"] == 0
