"""The domain model: codes, validation, database constraints, the clock arithmetic."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from debates.models import (
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    AgendaSegment,
    ArgumentUpvote,
    Debate,
    QuestionUpvote,
    Vote,
    new_join_code,
)
from tests.factories import make_debate, make_participant, make_poll, make_question

pytestmark = pytest.mark.django_db


def test_join_codes_are_short_unambiguous_and_unique():
    codes = {new_join_code() for _ in range(300)}
    assert len(codes) > 290  # random, not a constant
    for code in codes:
        assert len(code) == JOIN_CODE_LENGTH
        assert set(code) <= set(JOIN_CODE_ALPHABET)
    assert not set("0O1IL") & set(JOIN_CODE_ALPHABET)
    first = make_debate()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_debate(code=first.code)


def test_slug_is_derived_from_title():
    debate = make_debate(title="Budget participatif 2026 : à vous !")
    assert debate.slug == "budget-participatif-2026-a-vous"


@pytest.mark.parametrize("code", ["ABC", "AAAAA0", "aaaaaaa", "ABCDE1"])
def test_invalid_code_is_refused_by_validation(code):
    debate = make_debate()
    debate.code = code
    with pytest.raises(ValidationError) as exc:
        debate.full_clean()
    assert "code" in exc.value.message_dict


def test_lowercase_valid_code_is_normalised():
    debate = make_debate()
    debate.code = "acdefg"
    debate.full_clean()
    assert debate.code == "ACDEFG"


def test_end_before_start_is_refused_by_validation_and_by_the_database():
    debate = make_debate()
    debate.scheduled_end = debate.scheduled_start - timedelta(hours=1)
    with pytest.raises(ValidationError) as exc:
        debate.full_clean()
    assert "scheduled_end" in exc.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        debate.save()


def test_length_limits_are_validated():
    debate = make_debate()
    debate.question_max_length = 5
    with pytest.raises(ValidationError) as exc:
        debate.full_clean()
    assert "question_max_length" in exc.value.message_dict


def test_status_transitions_table():
    S = Debate.Status
    assert Debate.TRANSITIONS[S.DRAFT] == {S.SCHEDULED, S.LIVE}
    assert S.CLOSED in Debate.TRANSITIONS[S.LIVE]
    assert Debate.TRANSITIONS[S.CLOSED] == set()


def test_one_vote_per_participant_per_poll_is_a_database_constraint():
    debate = make_debate()
    poll = make_poll(debate)
    p = make_participant(debate)
    yes, no = list(poll.options.all())[:2]
    Vote.objects.create(poll=poll, participant=p, option=yes)
    with pytest.raises(IntegrityError), transaction.atomic():
        Vote.objects.create(poll=poll, participant=p, option=no)
    assert Vote.objects.filter(poll=poll).count() == 1


def test_one_upvote_per_participant_per_question_and_argument():
    debate = make_debate(premoderation=False)
    q = make_question(debate)
    p = make_participant(debate)
    QuestionUpvote.objects.create(question=q, participant=p)
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionUpvote.objects.create(question=q, participant=p)
    from debates import services

    arg = services.argument_post(poll=make_poll(debate), participant=p, side="for", text="Plus de vélos en ville.")
    ArgumentUpvote.objects.create(argument=arg, participant=p)
    with pytest.raises(IntegrityError), transaction.atomic():
        ArgumentUpvote.objects.create(argument=arg, participant=p)


def test_segment_clock_arithmetic_counts_pauses_and_extensions():
    debate = make_debate(segments=0)
    now = timezone.now()
    seg = AgendaSegment.objects.create(debate=debate, title="Q&R", planned_seconds=600)
    assert seg.remaining_seconds(now) == 600 and seg.deadline() is None
    seg.started_at = now - timedelta(seconds=100)
    assert seg.is_running
    assert seg.remaining_seconds(now) == pytest.approx(500)
    assert seg.deadline() == seg.started_at + timedelta(seconds=600)
    # Paused 40 s ago: time stops at the pause.
    seg.paused_at = now - timedelta(seconds=40)
    assert seg.is_paused and seg.deadline() is None
    assert seg.remaining_seconds(now) == pytest.approx(540)
    # Resumed after a 40 s pause, one minute added.
    seg.paused_at, seg.paused_seconds, seg.extra_seconds = None, 40, 60
    assert seg.remaining_seconds(now) == pytest.approx(600)
    assert seg.deadline() == seg.started_at + timedelta(seconds=700)
    # Overtime is negative: 660 s granted, 800 − 40 s elapsed.
    seg.started_at = now - timedelta(seconds=800)
    assert seg.remaining_seconds(now) == pytest.approx(-100)


def test_question_is_public_only_when_approved_or_answered_and_not_merged():
    debate = make_debate()
    q = make_question(debate, approve=False)
    assert not q.is_public
    q.status = "approved"
    assert q.is_public
    q.merged_into = make_question(debate)
    assert not q.is_public


def test_every_model_is_in_the_admin():
    from django.apps import apps
    from django.contrib import admin

    missing = [m.__name__ for m in apps.get_app_config("debates").get_models() if not admin.site.is_registered(m)]
    assert missing == []


def test_language_and_time_zone_default_to_the_site_and_are_validated(settings):
    debate = make_debate()
    assert debate.language == settings.LANGUAGE_CODE
    assert debate.time_zone == settings.TIME_ZONE
    debate.time_zone = "America/Montreal"
    debate.language = "en"
    debate.full_clean()
    debate.time_zone = "Mars/Olympus_Mons"
    with pytest.raises(ValidationError) as exc:
        debate.full_clean()
    assert "time_zone" in exc.value.message_dict
    debate.time_zone, debate.language = "Europe/Paris", "xx"
    with pytest.raises(ValidationError) as exc:
        debate.full_clean()
    assert "language" in exc.value.message_dict
