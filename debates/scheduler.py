"""Transitions that happen at a date, applied by the server itself: no worker process, safe with several.

Three layers, each enough on its own for correctness of writes:
1. Every write checks the dates itself (`Debate.accepts_posts`: a self-scheduling debate past its end accepts
   nothing), whether or not any tick ran.
2. Each server process runs `tick()` every `SCHEDULER_TICK_SECONDS` on its event loop (`start_ticker`, called from
   the ASGI entry point), so statuses, pages and sockets follow the dates with no one acting.
3. `manage.py tick` runs the same function from cron, for installations where no server may be awake.

A transition is a function registered with `@due_transition("name")`: it receives `now`, applies what is due with
a conditional `UPDATE … WHERE <still due> RETURNING id` — so when several processes tick at once exactly one wins
each row — does its follow-up work for the rows it won in the same transaction, announces them (after commit) and
returns how many it applied. It must be idempotent and quick. Consultation phases register theirs the same way:

    from debates.scheduler import due_transition

    @due_transition("consultation_phases")
    def advance_phases(now: datetime) -> int:
        ...
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

Transition = Callable[[datetime], int]
_REGISTRY: dict[str, Transition] = {}


def due_transition(name: str) -> Callable[[Transition], Transition]:
    """Register `fn(now) -> applied count` to run on every tick (re-registering a name replaces it)."""

    def register(fn: Transition) -> Transition:
        _REGISTRY[name] = fn
        return fn

    return register


def transitions() -> dict[str, Transition]:
    return dict(_REGISTRY)


def tick(now: datetime | None = None) -> dict[str, int]:
    """Apply every due transition once. One failing transition is logged and does not stop the others."""
    now = now or timezone.now()
    applied: dict[str, int] = {}
    for name, fn in list(_REGISTRY.items()):
        try:
            applied[name] = fn(now)
        except Exception:  # noqa: BLE001 — the next tick retries; a bad row must not stop the other transitions
            logger.exception("scheduler transition %s failed", name)
            applied[name] = 0
    return applied


def claim(sql_where: str, set_sql: str, params: list, table: str = "debates_debate") -> list[int]:
    """`UPDATE table SET … WHERE … RETURNING id`: the ids of the rows this call changed (and no other process
    did). PostgreSQL and SQLite ≥ 3.35 both support RETURNING."""
    params = [connection.ops.adapt_datetimefield_value(p) if isinstance(p, datetime) else p for p in params]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {set_sql} WHERE {sql_where} RETURNING id", params)  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


# --- the debate's own transitions -------------------------------------------------------------------------------
@due_transition("debate_open")
def open_due_debates(now: datetime) -> int:
    """Scheduled (not draft) self-scheduling debates whose start has come go live."""
    from .services.common import announce

    from .models import Debate
    from .services.common import _log
    from .services.debates import STATUS_WIDGETS

    with transaction.atomic():
        ids = claim(
            "auto_schedule AND status = %s AND scheduled_start IS NOT NULL AND scheduled_start <= %s"
            " AND (scheduled_end IS NULL OR scheduled_end > %s)",
            "status = %s, opened_at = %s",
            [Debate.Status.LIVE, now, Debate.Status.SCHEDULED, now, now],
        )
        for debate in Debate.objects.filter(pk__in=ids):
            _log(
                debate,
                None,
                "debate_status",
                debate,
                {"status": Debate.Status.SCHEDULED},
                {"status": Debate.Status.LIVE, "by": "schedule"},
            )
            announce(debate.pk, STATUS_WIDGETS)
    return len(ids)


@due_transition("debate_close")
def close_due_debates(now: datetime) -> int:
    """Live (or still scheduled) self-scheduling debates whose end has passed close, with their polls."""
    from .services.common import announce

    from .models import Debate
    from .services.common import _log
    from .services.debates import STATUS_WIDGETS, status_side_effects

    with transaction.atomic():
        before = dict(
            Debate.objects.filter(
                auto_schedule=True, status__in=[Debate.Status.LIVE, Debate.Status.SCHEDULED], scheduled_end__lte=now
            ).values_list("pk", "status")
        )
        if not before:
            return 0
        ids = claim(
            "auto_schedule AND status IN (%s, %s) AND scheduled_end IS NOT NULL AND scheduled_end <= %s",
            "status = %s, closed_at = %s",
            [Debate.Status.CLOSED, now, Debate.Status.LIVE, Debate.Status.SCHEDULED, now],
        )
        for debate in Debate.objects.filter(pk__in=ids).select_related("current_segment"):
            status_side_effects(debate, Debate.Status.CLOSED, now)
            _log(
                debate,
                None,
                "debate_status",
                debate,
                {"status": before.get(debate.pk, "")},
                {"status": Debate.Status.CLOSED, "by": "schedule"},
            )
            announce(debate.pk, STATUS_WIDGETS)
    return len(ids)


@due_transition("consultation_close")
def close_due_consultations(now: datetime) -> int:
    """Live debates whose consultation's closing date has passed close, with their polls (services.dates)."""
    from .services.dates import consultation_tick

    return len(consultation_tick(now))


# --- the in-process ticker --------------------------------------------------------------------------------------
_ticker: asyncio.Task | None = None


async def _run_ticker(interval: float) -> None:
    from django.db import close_old_connections

    def one_tick() -> None:
        close_old_connections()
        try:
            tick()
        finally:
            close_old_connections()

    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(one_tick)
        except Exception:  # noqa: BLE001 — keep ticking: a database hiccup now must not end the schedule
            logger.exception("scheduler tick failed")


def start_ticker() -> None:
    """Start this process's periodic tick on the running loop, once (cheap to call on every ASGI request)."""
    global _ticker
    if _ticker is not None and not _ticker.done():
        return
    interval = float(getattr(settings, "SCHEDULER_TICK_SECONDS", 15) or 0)
    if interval <= 0:
        return
    _ticker = asyncio.get_running_loop().create_task(_run_ticker(interval))
