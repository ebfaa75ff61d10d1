"""Where the server's event loop spends its CPU, per callback (BENCH_LOOP_PROFILE=1).

In the server (bench/asgi.py calls `install`): every callback the asyncio loop runs (a task's step, a timer, an
I/O callback) is timed with the thread's CPU clock and counted under a name (a task by its coroutine). SIGUSR1
writes the totals to <BENCH_LOOP_PROFILE_DIR>/loop-<pid>.json. In the bench (bench/content.py): `totals` before
and after a run of events, and `per_event` between them. (py-spy samples too sparsely to attribute a few
milliseconds per event.) The timing itself slows the loop: compare shares, not totals, with a run without it.
"""

from __future__ import annotations

import asyncio
import asyncio.events
import json
import os
import signal
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ENABLED = os.environ.get("BENCH_LOOP_PROFILE") == "1"


def _dir() -> Path:
    return Path(os.environ.get("BENCH_LOOP_PROFILE_DIR") or tempfile.gettempdir())


def install() -> None:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    run = asyncio.events.Handle._run

    def name(handle: asyncio.events.Handle) -> str:
        callback = handle._callback  # type: ignore[attr-defined]
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, asyncio.Task):
            coro = owner.get_coro()
            return "task " + getattr(coro, "__qualname__", type(coro).__name__)
        return getattr(callback, "__qualname__", type(callback).__name__)

    def timed(handle: asyncio.events.Handle) -> None:
        label = name(handle)  # before the run: a handle may drop its callback as it runs (then it read "NoneType")
        started = time.thread_time_ns()
        try:
            run(handle)
        finally:
            entry = totals[label]
            entry[0] += time.thread_time_ns() - started
            entry[1] += 1

    def dump(*_args: object) -> None:
        path = _dir() / f"loop-{os.getpid()}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(totals))
        tmp.replace(path)

    asyncio.events.Handle._run = timed  # type: ignore[method-assign]
    signal.signal(signal.SIGUSR1, dump)


def totals(pid: int, timeout: float = 5.0) -> dict[str, list[int]]:
    """The server's totals so far: {callback: [CPU ns, calls]}."""
    path = _dir() / f"loop-{pid}.json"
    before = path.stat().st_mtime_ns if path.exists() else 0
    os.kill(pid, signal.SIGUSR1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_mtime_ns != before:
            return json.loads(path.read_text())
        time.sleep(0.02)
    raise RuntimeError("the server did not write its loop profile (started without BENCH_LOOP_PROFILE=1?)")


def per_event(before: dict, after: dict, events: int, top: int = 12) -> list[tuple[str, float, float]]:
    """(callback, CPU ms per event, calls per event) of what ran between the two totals, most expensive first."""
    rows = []
    for key, (ns, calls) in after.items():
        ns0, calls0 = before.get(key, (0, 0))
        if ns > ns0:
            rows.append((key, (ns - ns0) / 1e6 / events, (calls - calls0) / events))
    rows.sort(key=lambda row: -row[1])
    return [(k, round(ms, 3), round(calls, 2)) for k, ms, calls in rows[:top]]
