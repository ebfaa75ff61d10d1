"""Upvotes and supports in bursts (questions, arguments, proposals): one arrival as sent over HTTP, the rules'
verdict on each, and the rows stored once per participant."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ServiceError
from ..models import (
    ArgumentUpvote,
    Debate,
    QuestionUpvote,
)
from .participants import (
    Outcome,
    Stored,
    not_found,
    participants_for_sessions,
)


@dataclass(frozen=True)
class Upvote:
    """One question upvote or argument support as it arrives over HTTP (see Ballot); target_id as in the URL."""

    code: str
    target_id: int
    session_participants: Mapping[str, int]
    client_key: str | None = None  # the browser's (services.participants.client_key)


def _judged(
    items: list[Upvote], judge: Callable[[Upvote], Debate | ServiceError]
) -> tuple[list[Outcome], list[tuple[int, Upvote, Debate]]]:
    """Each item's refusal, or its debate when the rules accept it (its outcome is filled in once stored)."""
    outcome: list[Outcome] = []
    accepted: list[tuple[int, Upvote, Debate]] = []
    for i, item in enumerate(items):
        judged = judge(item)
        outcome.append(judged if isinstance(judged, ServiceError) else not_found())
        if isinstance(judged, Debate):
            accepted.append((i, item, judged))
    return outcome, accepted


def _first_upvotes(
    model: type[QuestionUpvote] | type[ArgumentUpvote],
    target: str,
    accepted: list[tuple[int, Upvote, Debate]],
    outcome: list[Outcome],
    again: ServiceError,
) -> list[Any]:
    """Store one `model` row (target, participant) per accepted upvote whose participant has none for that target
    yet, and fill in their outcome; the others are refused with `again`. Call inside the write's transaction."""
    voters = participants_for_sessions([(u.session_participants, d, u.client_key) for _i, u, d in accepted])
    taken = set(
        model.objects.filter(
            **{f"{target}__in": {u.target_id for _i, u, _d in accepted}}, participant_id__in={v.pk for v in voters}
        ).values_list(target, "participant_id")
    )
    rows: list[Any] = []  # of `model`: question upvotes or argument supports
    for (i, u, d), voter in zip(accepted, voters):
        if (u.target_id, voter.pk) in taken:
            outcome[i] = again
            continue
        taken.add((u.target_id, voter.pk))
        rows.append(model(**{target: u.target_id}, participant_id=voter.pk))
        outcome[i] = Stored(d.pk, voter.pk)
    # A concurrent upvote through another process can still collide: the IntegrityError rolls the whole batch
    # back; the hot path replays each request through the view, whose next attempt (services.one) sees the row.
    model.objects.bulk_create(rows)
    return rows
