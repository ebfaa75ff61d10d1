"""Graceful drain of one server process: daphne has none, so the application drains itself.

On SIGTERM (installed under daphne by `install_sigterm`) or on a drain message (live.publish.drain_cluster, on
the control channel), the process:
1. stops taking sockets (new ones are closed with CLOSE_RESTART at once, so the load balancer's next pick serves
   them), and closes its open sockets with CLOSE_RESTART, spread over LIVE_DRAIN_SECONDS in random order, so the
   pages' reconnects (each takes a snapshot) do not all land on the other processes in the same instant;
2. flushes what its coalescer still holds, and waits for the work registered with `on_drain` (the hot path's
   pending group-commit batches): a vote acknowledged or in flight is stored before the process goes;
3. after SIGTERM, stops daphne's reactor (which then exits as it would have on SIGTERM).
HAProxy's runtime API (`set server … state drain`) stops new HTTP requests to the process first: see deploy/.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings

from . import process
from .relay import CLOSE_RESTART

log = logging.getLogger(__name__)

_on_drain: list[Callable[[], Awaitable[None]]] = []
SOCKETS_GONE_TIMEOUT = 5.0  # after the spread, for the last close handshakes


def on_drain(fn: Callable[[], Awaitable[None]]) -> None:
    """fn() is awaited while the process drains, after its sockets are closed (e.g. pending write batches)."""
    if fn not in _on_drain:
        _on_drain.append(fn)


async def drain(spread: float | None = None) -> int:
    """Drain the running loop's runtime (see the module docstring). Returns how many sockets it closed."""
    rt = process.current()
    if rt.draining:
        return 0
    rt.draining = True
    spread = settings.LIVE_DRAIN_SECONDS if spread is None else spread
    closed = rt.relay.close_all(CLOSE_RESTART, "server restarting", spread)
    log.warning("draining: closing %d sockets over %.1f s", closed, spread)
    await asyncio.sleep(spread)
    deadline = rt.loop.time() + SOCKETS_GONE_TIMEOUT
    while rt.relay.total_count() and rt.loop.time() < deadline:
        await asyncio.sleep(0.05)
    try:
        await rt.coalescer.flush_all()
    except Exception:
        log.exception("drain: final flush failed")
    for fn in list(_on_drain):
        try:
            await fn()
        except Exception:
            log.exception("drain: %r failed", fn)
    log.warning("drained")
    return closed


def _on_control(message: dict) -> None:
    if message.get("type") == "live.drain":
        asyncio.get_running_loop().create_task(drain())


def watch(relay_listeners: list) -> None:
    if _on_control not in relay_listeners:
        relay_listeners.append(_on_control)


def install_sigterm() -> None:
    """Under daphne: once its reactor runs, SIGTERM drains this process, then stops the reactor. A second SIGTERM
    stops at once."""
    if "daphne.server" not in sys.modules:
        return
    from twisted.internet import reactor as twisted_reactor

    reactor: Any = twisted_reactor  # the installed reactor: its type is chosen at run time

    def install() -> None:
        loop = asyncio.get_event_loop()
        state = {"draining": False}

        def on_sigterm(signum, frame) -> None:  # noqa: ARG001
            if state["draining"]:
                loop.call_soon_threadsafe(reactor.stop)
                return
            state["draining"] = True
            loop.call_soon_threadsafe(start)

        def start() -> None:
            task = loop.create_task(drain())
            task.add_done_callback(lambda _t: reactor.stop())

        signal.signal(signal.SIGTERM, on_sigterm)

    reactor.callWhenRunning(install)
