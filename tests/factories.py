"""Builders for test data. They go through the services where a service exists, so tests see real behaviour."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from django.contrib.auth import get_user_model
from django.utils import timezone

from debates import services
from debates.models import AgendaSegment, Debate, DebateRole, Participant, Poll

_seq = count(1)


def make_user(username: str | None = None, password: str = "pw-for-tests-123", **extra):
    User = get_user_model()
    user = User.objects.create_user(username=username or f"user{next(_seq)}", password=password, **extra)
    return user


def make_debate(*, status: str = Debate.Status.LIVE, premoderation: bool = True, segments: int = 2, **extra) -> Debate:
    now = timezone.now()
    debate = Debate.objects.create(
        title=extra.pop("title", f"Débat {next(_seq)}"),
        status=status,
        premoderation=premoderation,
        scheduled_start=now - timedelta(minutes=1),
        scheduled_end=now + timedelta(hours=1),
        opened_at=now if status == Debate.Status.LIVE else None,
        **extra,
    )
    for i in range(segments):
        AgendaSegment.objects.create(debate=debate, position=i, title=f"Segment {i + 1}", planned_seconds=300)
    return debate


def make_moderator(debate: Debate, **extra):
    user = make_user(**extra)
    DebateRole.objects.create(debate=debate, user=user, role=DebateRole.Role.MODERATOR)
    return user


def make_official(debate: Debate, title: str = "Maire", **extra):
    user = make_user(**extra)
    DebateRole.objects.create(debate=debate, user=user, role=DebateRole.Role.OFFICIAL, title=title)
    return user


def make_participant(debate: Debate, name: str = "") -> Participant:
    return services.participant_join(debate=debate, display_name=name)


def make_poll(
    debate: Debate,
    *,
    kind: str = Poll.Kind.YES_NO_ABSTAIN,
    options=(),
    open_now: bool = True,
    results: str = Poll.Results.LIVE,
    actor=None,
) -> Poll:
    actor = actor or make_moderator(debate)
    return services.poll_create(
        debate=debate,
        actor=actor,
        text="Faut-il piétonniser le centre ?",
        kind=kind,
        options=options,
        open_now=open_now,
        results=results,
    )


def make_question(
    debate: Debate,
    *,
    participant: Participant | None = None,
    text: str = "Une question ?",
    approve: bool = True,
    actor=None,
):
    participant = participant or make_participant(debate)
    q = services.question_submit(debate=debate, participant=participant, text=text)
    if approve and q.status == "pending":
        q = services.question_approve(question=q, actor=actor or make_moderator(debate))
    return q
