"""live.relay membership under churn: sockets leaving and joining at the same moment, with a channel layer whose
calls take time (as Redis round trips do)."""

from __future__ import annotations

import asyncio

import pytest

from live import groups
from live.process import Runtime

DEBATE = 876543  # no database row needed: nothing here renders


class Sock:
    write_frame = None
    participant_id = None
    user_id = None
    backlog = 0

    def __init__(self, name: str) -> None:
        self.name = name
        self.received: list[str] = []

    async def send_frame(self, text: str) -> None:
        self.received.append(text)


@pytest.fixture
async def slow_layer_relay(monkeypatch):
    """A Relay whose layer yields to the loop in every call, like a network round trip."""
    rt = Runtime(asyncio.get_running_loop())
    rt.redis = None  # presence and coalescing stay in-process; the layer is what this test is about
    relay = rt.relay
    layer = relay.layer
    for name in ("new_channel", "group_add", "group_discard"):
        original = getattr(layer, name)

        async def slow(*args, _original=original, **kwargs):
            await asyncio.sleep(0.01)
            return await _original(*args, **kwargs)

        monkeypatch.setattr(layer, name, slow)

    async def no_presence(_relay):
        return None

    monkeypatch.setattr(relay, "_presence_changed", no_presence)
    return relay


async def test_a_socket_joining_while_the_last_one_leaves_gets_every_broadcast(slow_layer_relay):
    relay = slow_layer_relay
    old = Sock("old")
    await relay.join(DEBATE, "public.fr", old)
    leaving = asyncio.create_task(relay.leave(DEBATE, "public.fr", old))
    await asyncio.sleep(0.005)  # the leave is now tearing down the subscription
    newcomers = [Sock(f"new{i}") for i in range(5)]
    await asyncio.gather(*(relay.join(DEBATE, "public.fr", s) for s in newcomers))
    await leaving
    await relay.layer.group_send(
        groups.debate_group(DEBATE),
        {"type": "live.frames", "frames": {"public.fr": [["status", 1, "<p>v1</p>"]]}},
    )
    for _ in range(100):
        if all(s.received for s in newcomers):
            break
        await asyncio.sleep(0.01)
    assert [s.received for s in newcomers] == [["<p>v1</p>"]] * 5  # each once: no orphaned or duplicate relay
    assert relay.local_count(DEBATE) == 5
    for s in newcomers:
        await relay.leave(DEBATE, "public.fr", s)
    assert relay.local_count(DEBATE) == 0
