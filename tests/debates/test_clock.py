"""Clock arithmetic: remaining = planned + extra − (now − started − paused), negative in overtime."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from debates import selectors, services
from debates.models import AgendaSegment, Debate
from debates.services import ServiceError
from tests.factories import make_debate, make_moderator

pytestmark = pytest.mark.django_db


def _shift(seg: AgendaSegment, seconds: float) -> None:
    """Move the segment's past into the past: as if `seconds` had elapsed since its timestamps were set."""
    delta = timedelta(seconds=seconds)
    for field in ("started_at", "paused_at", "ended_at"):
        if getattr(seg, field) is not None:
            setattr(seg, field, getattr(seg, field) - delta)
    seg.save()


def _seg(debate: Debate) -> AgendaSegment:
    debate.refresh_from_db()
    return AgendaSegment.objects.get(pk=debate.current_segment_id)


def test_unstarted_segment_shows_its_planned_duration():
    seg = AgendaSegment(planned_seconds=300)
    assert seg.remaining_seconds() == 300
    assert seg.deadline() is None and not seg.is_running and not seg.is_paused


def test_running_segment_counts_down_from_started_at():
    now = timezone.now()
    seg = AgendaSegment(planned_seconds=300, started_at=now - timedelta(seconds=100))
    assert seg.remaining_seconds(now) == pytest.approx(200)
    assert seg.deadline() == seg.started_at + timedelta(seconds=300)


def test_overtime_is_negative_and_keeps_counting():
    now = timezone.now()
    seg = AgendaSegment(planned_seconds=300, started_at=now - timedelta(seconds=345))
    assert seg.remaining_seconds(now) == pytest.approx(-45)
    assert seg.remaining_seconds(now + timedelta(seconds=15)) == pytest.approx(-60)


def test_pause_freezes_the_clock_and_resume_excludes_the_pause():
    debate = make_debate()
    mod = make_moderator(debate)
    services.clock_action(debate=debate, actor=mod, action="start")
    seg = _seg(debate)
    _shift(seg, 60)  # one minute ran
    services.clock_action(debate=debate, actor=mod, action="pause")
    seg = _seg(debate)
    assert seg.is_paused and seg.deadline() is None
    frozen = seg.remaining_seconds()
    assert frozen == pytest.approx(240, abs=1)
    # Ten minutes later the paused clock still shows the same time.
    assert seg.remaining_seconds(timezone.now() + timedelta(minutes=10)) == pytest.approx(frozen, abs=0.01)
    _shift(seg, 120)  # the pause lasted two minutes
    services.clock_action(debate=debate, actor=mod, action="resume")
    seg = _seg(debate)
    assert seg.is_running
    assert seg.paused_seconds == pytest.approx(120, abs=1)
    assert seg.remaining_seconds() == pytest.approx(240, abs=1)
    # The deadline the browsers count to moves by the pause.
    assert (seg.deadline() - timezone.now()).total_seconds() == pytest.approx(240, abs=1)


def test_pausing_twice_or_resuming_a_running_clock_is_refused():
    debate = make_debate()
    mod = make_moderator(debate)
    services.clock_action(debate=debate, actor=mod, action="start")
    with pytest.raises(ServiceError):
        services.clock_action(debate=debate, actor=mod, action="resume")
    services.clock_action(debate=debate, actor=mod, action="pause")
    with pytest.raises(ServiceError):
        services.clock_action(debate=debate, actor=mod, action="pause")


def test_start_on_a_paused_clock_resumes_it():
    debate = make_debate()
    mod = make_moderator(debate)
    services.clock_action(debate=debate, actor=mod, action="start")
    services.clock_action(debate=debate, actor=mod, action="pause")
    _shift(_seg(debate), 30)
    services.clock_action(debate=debate, actor=mod, action="start")
    seg = _seg(debate)
    assert seg.is_running and seg.paused_seconds == pytest.approx(30, abs=1)
    assert seg.remaining_seconds() == pytest.approx(300, abs=1)


def test_extend_adds_time_running_or_paused_and_out_of_overtime():
    debate = make_debate()
    mod = make_moderator(debate)
    services.clock_action(debate=debate, actor=mod, action="start")
    _shift(_seg(debate), 330)  # 30 s of overtime
    assert _seg(debate).remaining_seconds() == pytest.approx(-30, abs=1)
    services.clock_action(debate=debate, actor=mod, action="extend", seconds=60)
    seg = _seg(debate)
    assert seg.extra_seconds == 60 and seg.duration_seconds == 360
    assert seg.remaining_seconds() == pytest.approx(30, abs=1)
    services.clock_action(debate=debate, actor=mod, action="pause")
    services.clock_action(debate=debate, actor=mod, action="extend", seconds=120)
    assert _seg(debate).remaining_seconds() == pytest.approx(150, abs=1)
    with pytest.raises(ServiceError):
        services.clock_action(debate=debate, actor=mod, action="extend", seconds=0)
    with pytest.raises(ServiceError):
        services.clock_action(debate=debate, actor=mod, action="extend", seconds=7200)


def test_next_ends_the_segment_and_starts_the_following_one():
    debate = make_debate(segments=2)
    mod = make_moderator(debate)
    first = services.clock_action(debate=debate, actor=mod, action="start")
    _shift(_seg(debate), 100)
    services.clock_action(debate=debate, actor=mod, action="pause")
    _shift(_seg(debate), 20)
    second = services.clock_action(debate=debate, actor=mod, action="next")
    first.refresh_from_db()
    assert second.pk != first.pk and second.position == 1
    assert first.ended_at is not None and first.paused_at is None
    # The first segment's record is final: 100 s used, the pause excluded.
    assert first.elapsed_seconds() == pytest.approx(100, abs=1)
    assert first.remaining_seconds(timezone.now() + timedelta(hours=1)) == pytest.approx(200, abs=1)
    seg = _seg(debate)
    assert seg.pk == second.pk and seg.is_running and seg.remaining_seconds() == pytest.approx(300, abs=1)
    state = selectors.clock_state(debate)
    assert state["segment"]["id"] == second.pk and state["segment"]["state"] == "running"
    # Nothing after the last segment: refused, and the running segment is left as it was.
    with pytest.raises(ServiceError):
        services.clock_action(debate=debate, actor=mod, action="next")
    assert _seg(debate).is_running


def test_reset_puts_the_segment_back_to_its_planned_time():
    debate = make_debate()
    mod = make_moderator(debate)
    services.clock_action(debate=debate, actor=mod, action="start")
    services.clock_action(debate=debate, actor=mod, action="extend", seconds=90)
    _shift(_seg(debate), 50)
    services.clock_action(debate=debate, actor=mod, action="reset")
    seg = _seg(debate)
    assert seg.started_at is None and seg.extra_seconds == 0 and seg.remaining_seconds() == 300
    assert selectors.clock_state(debate)["segment"]["state"] == "idle"


def test_clock_state_gives_browsers_a_deadline_in_server_time():
    debate = make_debate()
    mod = make_moderator(debate)
    services.clock_action(debate=debate, actor=mod, action="start")
    state = selectors.clock_state(debate)
    seg = state["segment"]
    assert seg["state"] == "running"
    assert (seg["deadline_ms"] - state["server_now_ms"]) / 1000 == pytest.approx(300, abs=1)
    assert state["warning_seconds"] == debate.clock_warning_seconds


def test_clock_actions_need_a_moderator_and_broadcast_status(broadcasts):
    debate = make_debate()
    with pytest.raises(ServiceError) as err:
        services.clock_action(debate=debate, actor=None, action="start")
    assert err.value.status == 403
    services.clock_action(debate=debate, actor=make_moderator(debate), action="start")
    assert "status" in broadcasts.keys()
    assert 'id="screen-status"' in broadcasts.html("screen.fr")


def test_taking_time_off_cannot_make_the_duration_negative():
    debate = make_debate()
    mod = make_moderator(debate)
    services.clock_action(debate=debate, actor=mod, action="start")
    services.clock_action(debate=debate, actor=mod, action="extend", seconds=-120)
    assert _seg(debate).duration_seconds == 180
    with pytest.raises(ServiceError):
        services.clock_action(debate=debate, actor=mod, action="extend", seconds=-600)
    assert _seg(debate).duration_seconds == 180
