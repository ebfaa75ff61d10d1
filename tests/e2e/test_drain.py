"""A real daphne drains on SIGTERM: every socket is closed with the reconnect code 4503 and a reason, spread over
LIVE_DRAIN_SECONDS (not all at once), every vote it acknowledged is stored, and then the process exits."""

from __future__ import annotations

import asyncio
import json
import signal
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.e2e.test_live_stack import SETUP, Citizen

pytestmark = pytest.mark.e2e

COUNT = """
from debates.models import Vote
print(Vote.objects.count())
"""


async def closed_at(ws) -> tuple[int | None, str, float]:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout=15)
    except ConnectionClosed as exc:
        return (exc.rcvd.code if exc.rcvd else None), (exc.rcvd.reason if exc.rcvd else ""), time.monotonic()


async def test_sigterm_closes_sockets_with_a_reconnect_code_over_the_drain_window_then_exits(monkeypatch, request):
    monkeypatch.setenv("LIVE_DRAIN_SECONDS", "2")
    monkeypatch.delenv("REDIS_URL", raising=False)
    server = request.getfixturevalue("daphne_server")
    data = json.loads(server.shell(SETUP).strip().splitlines()[-1])
    base, code, poll, options = server.url, data["code"], data["poll"], data["options"]
    url = base.replace("http://", "ws://") + f"/ws/d/{code}/"
    sockets = [await connect(url, origin=base) for _ in range(20)]
    for ws in sockets:
        await asyncio.wait_for(ws.recv(), timeout=10)
    citizens = [await asyncio.to_thread(Citizen, base, code) for _ in range(10)]

    acknowledged = 0

    async def vote(c: Citizen) -> None:
        nonlocal acknowledged
        try:
            status, _ = await asyncio.to_thread(c.post, f"poll/{poll}/vote", {"option": options[0]})
        except OSError:
            return  # refused once the server has gone: not acknowledged
        if status == 200:
            acknowledged += 1

    waiting = [asyncio.create_task(closed_at(ws)) for ws in sockets]
    voting = [asyncio.create_task(vote(c)) for c in citizens]
    started = time.monotonic()
    server.proc.send_signal(signal.SIGTERM)
    results = await asyncio.gather(*waiting)
    await asyncio.gather(*voting)
    codes = {code for code, _reason, _at in results}
    assert codes == {4503}, codes
    assert all(reason for _c, reason, _at in results)
    spread = max(at for *_x, at in results) - min(at for *_x, at in results)
    assert spread > 0.5  # spread over the window, not all in one instant
    assert max(at for *_x, at in results) - started < 2 + 3  # within the window (plus a margin for a busy machine)
    assert await asyncio.to_thread(server.proc.wait, 20) is not None  # then it exits by itself
    stored = int(server.shell(COUNT).strip().splitlines()[-1])
    assert acknowledged <= stored <= len(citizens)  # every acknowledged vote is stored, none twice
    for ws in sockets:
        await ws.close()
