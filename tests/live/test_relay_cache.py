"""The relay's snapshot cache stays bounded: whole widgets are kept (the newest of each), single items only those
relayed since the snapshot was rendered, at most MAX_DELTAS per audience; past that the next connection renders."""

from __future__ import annotations

import asyncio

import pytest

from live import registry
from live import relay as relay_module
from live.relay import DebateRelay
from live.process import Runtime

DEBATE = 765432  # nothing here touches the database: the renderer is replaced


@pytest.fixture
def renders(monkeypatch):
    calls: list[int] = []

    def render(debate_id, keys, audiences, presence):
        calls.append(debate_id)
        return {
            a: [["questions", 1000 + len(calls), f"<ol id='questions'>render {len(calls)}</ol>"]] for a in audiences
        }

    monkeypatch.setattr(registry, "_renderer", render)
    return calls


@pytest.fixture
async def relay():
    rt = Runtime(asyncio.get_running_loop())
    rt.redis = None  # presence stays in-process: the cache is what this test is about
    return rt.relay


async def test_items_are_kept_only_behind_a_snapshot_and_bounded(relay, renders):
    debate_relay = relay.debates[DEBATE] = DebateRelay(DEBATE)
    await relay.deliver(debate_relay, {"public.fr": [["qn:1", 1, "<span id='q-1-n'>1</span>"]]})
    assert not debate_relay.deltas  # no snapshot cached yet: nothing to keep
    first = await relay.snapshot(DEBATE, "public.fr")
    assert first == "<ol id='questions'>render 1</ol>" and len(renders) == 1
    for i in range(5):
        await relay.deliver(debate_relay, {"public.fr": [[f"qn:{i}", i + 1, f"<span id='q-{i}-n'>{i}</span>"]]})
    text = await relay.snapshot(DEBATE, "public.fr")
    assert len(renders) == 1  # served from the cache, the items after it
    assert text.startswith("<ol id='questions'>render 1</ol>") and text.endswith("<span id='q-4-n'>4</span>")
    assert set(debate_relay.latest["public.fr"]) == {"questions"}  # items never enter the widget cache
    for i in range(relay_module.MAX_DELTAS + 1):
        await relay.deliver(debate_relay, {"public.fr": [[f"qn:{i}", 10 + i, f"<span id='q-{i}-n'>{i}</span>"]]})
    assert len(debate_relay.deltas.get("public.fr", [])) <= relay_module.MAX_DELTAS
    again = await relay.snapshot(DEBATE, "public.fr")
    assert len(renders) == 2 and "render 2" in again and "q-" not in again  # rendered afresh, no stale items


async def test_a_widget_newer_than_the_cached_one_replaces_it(relay, renders):
    debate_relay = relay.debates[DEBATE] = DebateRelay(DEBATE)
    await relay.snapshot(DEBATE, "public.fr")
    await relay.deliver(debate_relay, {"public.fr": [["questions", 5000, "<ol id='questions'>newer</ol>"]]})
    await relay.deliver(debate_relay, {"public.fr": [["questions", 10, "<ol id='questions'>older</ol>"]]})
    text = await relay.snapshot(DEBATE, "public.fr")
    assert text == "<ol id='questions'>newer</ol>" and not debate_relay.deltas.get("public.fr")
