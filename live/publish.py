"""How the domain announces a change. Services call `announce`; nothing else in debates/ touches live/ (besides
`revoke`, for access taken away).

- `announce(debate_id, keys)` renders the widgets once per audience right after the transaction commits and
  broadcasts them.
- `nudge(debate_id, participant_ids)` tells those citizens' pages to fetch their own state again.
- `announce(debate_id, keys, hot=True)` (votes, upvotes) only marks the widgets dirty; the coalescer of the server
  loop (live.coalesce) renders and broadcasts them at most every LIVE_FLUSH_INTERVAL seconds.
- `announce(debate_id, keys, soon=True)` (news inside a burst: a proposal reaching its threshold) renders and
  broadcasts right after the commit, in a frame of its own, from the server loop's threads: the committing thread
  (a burst's batch) answers its writes without waiting for the render, and the news waits for no flush (over a
  second in front of thousands). Measured in the supports burst, folding the news into an early flush of
  everything dirty instead delayed it (p50 0.6–0.9 s against 0.2–0.5 s): the lists it renders are dear.
- `revoke(...)` closes, in every process, the sockets whose access was just taken away.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from . import groups, hooks, process, registry
from .runtime import run_on_server_loop, server_loop

if TYPE_CHECKING:
    from .coalesce import Coalescer

log = logging.getLogger(__name__)


def announce(debate_id: int, keys: Iterable[str], *, hot: bool = False, soon: bool = False) -> None:
    """Publish widgets after the current transaction commits (at once outside a transaction).

    A failure to publish is logged, never raised: the write is already saved and the next snapshot heals.
    """
    keys = set(keys)
    if hot:
        transaction.on_commit(lambda: mark_hot(debate_id, keys), robust=True)
    elif soon:
        transaction.on_commit(lambda: publish_soon(debate_id, keys), robust=True)
    else:
        transaction.on_commit(lambda: publish_now(debate_id, keys), robust=True)


def mark_hot(debate_id: int, keys: set[str]) -> None:
    """From a sync thread: mark the widgets dirty on the server loop's coalescer."""
    _on_coalescer(lambda coalescer: coalescer.mark_async(debate_id, keys), debate_id, keys)


def publish_soon(debate_id: int, keys: set[str]) -> None:
    """From a sync thread: render and broadcast from the server loop's threads, without waiting for it."""
    _on_coalescer(lambda coalescer: coalescer.publish_soon(debate_id, keys), debate_id, keys)


def _on_coalescer(call: Callable[[Coalescer], Awaitable[None]], debate_id: int, keys: set[str]) -> None:
    """Run `call` with this process's coalescer on the server loop, without waiting for it; without a server loop
    (commands, plain tests) publish at once in this thread: there is nothing to coalesce for."""

    async def run() -> None:
        await call(process.current().coalescer)

    if not run_on_server_loop(run(), wait=False):
        publish_now(debate_id, keys)


def publish_now(debate_id: int, keys: set[str], presence: int | None = None) -> None:
    """Render in this (sync) thread, for the audiences someone listens to, and broadcast to every process. Never
    call on the event loop thread."""
    audiences = listened(debate_id)
    if audiences:
        send_frames(debate_id, registry.render(debate_id, keys, audiences, presence))


_sync_redis: dict[str, Any] = {}


def listened(debate_id: int) -> tuple[str, ...]:
    """From a sync thread: the audiences of this debate with sockets in some process (live.relay.Relay.listened);
    every audience when observers listen in-process or when it cannot be known."""
    if hooks.every_audience():
        return groups.AUDIENCES
    if settings.REDIS_URL:
        try:
            client = _sync_redis.get(settings.REDIS_URL)
            if client is None:
                import redis

                client = _sync_redis[settings.REDIS_URL] = redis.Redis.from_url(
                    settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5
                )
            return groups.listened_from(client.hgetall(groups.audiences_key(debate_id)))
        except Exception:
            log.warning("listened audiences unknown (Redis): rendering every audience")
            return groups.AUDIENCES
    rt = process.existing(server_loop())
    if rt is None:
        return ()  # no server loop in this process, no Redis: no socket anywhere can be listening
    relay = rt.relay.debates.get(debate_id)
    try:
        return tuple(relay.audiences()) if relay else ()
    except RuntimeError:  # the loop changed the sockets while we read them: render them all
        return groups.AUDIENCES


def send_frames(debate_id: int, frames: registry.Frames) -> None:
    hooks.notify(debate_id, frames)
    _group_send(groups.debate_group(debate_id), {"type": "live.frames", "frames": frames})


def nudge(debate_id: int, participant_ids: Iterable[int | None]) -> None:
    """After the current transaction commits, tell these citizens' own pages that their personal state changed
    (their question's fate, being muted): each page then fetches it (GET /d/<code>/me). The message names
    participants by id only and reaches only their sockets; nothing personal travels in it."""
    ids = sorted({pid for pid in participant_ids if pid})
    if ids:
        transaction.on_commit(
            lambda: _group_send(groups.debate_group(debate_id), {"type": "live.nudge", "participants": ids}),
            robust=True,
        )


def revoke(
    *, debate_id: int | None = None, role: str | None = None, user_id: int | None = None, reason: str = "access revoked"
) -> None:
    """Close, in every server process, the open sockets whose access was just taken away; after the current
    transaction commits (at once outside one). Sockets so closed get code 4401 and do not reconnect by themselves
    (live.consumers.CLOSE_REVOKED); a later reconnect is authorised afresh.

    Select the sockets with any combination of:
    - `debate_id`: only that debate's sockets (None: every debate);
    - `role`: "screen", "moderators" (the console; officials too) or "public" (None: every role);
    - `user_id`: only sockets opened by that staff user (None: any user; citizens and screens have none).

    Uses: new screen link → `revoke(debate_id=d.pk, role="screen")`; a role removed →
    `revoke(debate_id=d.pk, role="moderators", user_id=u.pk)`; logout or losing one's last role →
    `revoke(role="moderators", user_id=u.pk)`. At least one selector is required. Each process also forgets its
    cached authorisations of that debate, so an old screen link cannot open a socket again.
    """
    if debate_id is None and role is None and user_id is None:
        raise ValueError("revoke needs a debate, a role or a user")
    message = {"type": "live.revoke", "debate": debate_id, "role": role, "user": user_id, "reason": reason}
    transaction.on_commit(lambda: _group_send(groups.CONTROL_GROUP, message), robust=True)


def drain_cluster() -> None:
    """Ask every server process to drain (close its sockets with a reconnect code, spread over
    LIVE_DRAIN_SECONDS). For tests and operators; a single process drains on SIGTERM (live.drain)."""
    _group_send(groups.CONTROL_GROUP, {"type": "live.drain"})


def _group_send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if not run_on_server_loop(layer.group_send(group, message)):
        if settings.REDIS_URL:  # other processes may hold the sockets
            async_to_sync(layer.group_send)(group, message)
        # In-memory layer and no server loop in this process: no socket can be listening.
