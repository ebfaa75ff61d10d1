"""live.publish coalescing, with a fake renderer: hot marks within one interval give one flush, and the last flush
always carries the final state. Runs on the in-process path, and through Redis (SET NX election) when REDIS_URL
is set."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from django.conf import settings

from live import hooks, publish, registry
from live import process
from live.coalesce import Coalescer
from tests.conftest import requires_redis

DEBATE = 987654  # never a real row: the fake renderer needs no database


class FakeRenderer:
    """Renders the current value of a counter, like a poll widget rendered from the database."""

    def __init__(self, delay: float = 0.0) -> None:
        self.value = 0
        self.calls: list[tuple[int, frozenset[str] | None]] = []
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self, debate_id, keys, audiences, presence):
        with self.lock:  # read "the database" first, then take time to render, as the real renderer does
            self.calls.append((debate_id, frozenset(keys) if keys is not None else None))
            value = self.value
        if self.delay:
            time.sleep(self.delay)
        return {a: [[k, value, f'<div id="{k}">{value}</div>'] for k in sorted(keys or ())] for a in audiences}


@pytest.fixture
def fake():
    renderer = FakeRenderer()
    previous = registry._renderer
    registry.set_renderer(renderer)
    sent: list[tuple[int, dict]] = []
    renderer.sent = sent
    try:
        with hooks.listening(lambda debate_id, frames: sent.append((debate_id, frames))):
            yield renderer
    finally:
        registry.set_renderer(previous)


def last_html(sent) -> str:
    return sent[-1][1]["public.fr"][0][2]


async def settle(extra: float = 0.25) -> None:
    await asyncio.sleep(settings.LIVE_FLUSH_INTERVAL + extra)


async def test_many_marks_within_the_interval_give_one_flush_with_the_final_state(fake):
    coalescer = Coalescer(process.current())
    for i in range(1, 51):
        fake.value = i
        await coalescer.mark_async(DEBATE, {"poll:1"})
    assert fake.calls == []  # nothing rendered yet: marks only
    await settle()
    assert fake.calls == [(DEBATE, frozenset({"poll:1"}))]
    assert len(fake.sent) == 1 and last_html(fake.sent) == '<div id="poll:1">50</div>'


async def test_keys_marked_together_are_flushed_together(fake):
    coalescer = Coalescer(process.current())
    await coalescer.mark_async(DEBATE, {"poll:1"})
    await coalescer.mark_async(DEBATE, {"questions"})
    await coalescer.mark_async(DEBATE, {"poll:1", "args:1"})
    await settle()
    assert fake.calls == [(DEBATE, frozenset({"poll:1", "questions", "args:1"}))]


async def test_sustained_marks_flush_at_most_once_per_interval_and_end_on_the_final_state(fake):
    coalescer = Coalescer(process.current())
    interval = settings.LIVE_FLUSH_INTERVAL
    started = time.monotonic()
    marks = 60
    for i in range(1, marks + 1):  # spread over about four intervals (longer on a busy machine)
        fake.value = i
        await coalescer.mark_async(DEBATE, {"poll:1"})
        await asyncio.sleep(4 * interval / marks)
    elapsed = time.monotonic() - started
    await settle(0.4)
    assert 2 <= len(fake.calls) <= elapsed / interval + 2
    assert last_html(fake.sent) == f'<div id="poll:1">{i}</div>'


async def test_a_mark_during_a_slow_flush_is_not_lost(fake):
    """The flusher always runs after the last mark: a vote landing while a render is in progress gets its own
    flush, so browsers end on the final count."""
    fake.delay = 0.2
    coalescer = Coalescer(process.current())
    fake.value = 1
    await coalescer.mark_async(DEBATE, {"poll:1"})
    await asyncio.sleep(settings.LIVE_FLUSH_INTERVAL + 0.05)  # the flush is rendering now
    fake.value = 2
    await coalescer.mark_async(DEBATE, {"poll:1"})
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and not (fake.sent and last_html(fake.sent).endswith(">2</div>")):
        await asyncio.sleep(0.05)
    assert last_html(fake.sent) == '<div id="poll:1">2</div>'
    assert len(fake.calls) == 2


async def test_debates_are_coalesced_independently(fake):
    coalescer = Coalescer(process.current())
    for _ in range(5):
        await coalescer.mark_async(DEBATE, {"poll:1"})
        await coalescer.mark_async(DEBATE + 1, {"poll:2"})
    await settle()
    assert sorted(d for d, _k in fake.calls) == [DEBATE, DEBATE + 1]


def test_without_a_server_loop_a_mark_publishes_at_once(fake):
    """Management commands and plain tests have no event loop serving sockets: nothing to coalesce for."""
    fake.value = 7
    publish.mark_hot(DEBATE, {"poll:1"})
    assert fake.calls == [(DEBATE, frozenset({"poll:1"}))]
    assert last_html(fake.sent) == '<div id="poll:1">7</div>'


async def test_marks_from_threads_are_coalesced_on_the_server_loop(fake, monkeypatch):
    """Services mark from worker threads (after commit); the marks land on the server loop and coalesce there."""
    from live import runtime

    monkeypatch.setattr(runtime, "_server_loop", asyncio.get_running_loop())
    coalescer = Coalescer(process.current())

    def votes() -> None:
        for i in range(1, 31):
            fake.value = i
            coalescer.mark(DEBATE, {"poll:1"})

    await asyncio.gather(*(asyncio.to_thread(votes) for _ in range(3)))
    for _ in range(100):  # the marks reach the loop as it gets to them (slowly on a loaded machine)
        if fake.calls:
            break
        await asyncio.sleep(0.05)
    await settle()
    assert len(fake.calls) == 1
    assert last_html(fake.sent) == '<div id="poll:1">30</div>'


@requires_redis
async def test_with_redis_one_flusher_is_elected_across_processes(fake):
    """Two coalescers stand for two server processes sharing Redis: marks on both give one flush per interval."""
    assert process.current().redis is not None
    process_a, process_b = Coalescer(process.current()), Coalescer(process.current())
    for i in range(1, 21):
        fake.value = i
        await (process_a if i % 2 else process_b).mark_async(DEBATE, {f"poll:{i % 2}"})
    await settle()
    assert fake.calls == [(DEBATE, frozenset({"poll:0", "poll:1"}))]
    assert fake.sent[-1][1]["public.fr"][-1][2] == '<div id="poll:1">20</div>'
    # The lock is released and the dirty set emptied: the next mark flushes again.
    fake.value = 21
    await process_b.mark_async(DEBATE, {"poll:1"})
    await settle()
    assert len(fake.calls) == 2 and last_html(fake.sent) == '<div id="poll:1">21</div>'


async def test_a_soon_announce_leaves_at_once_and_is_not_rendered_by_the_committing_thread(fake, monkeypatch):
    """News inside a burst (a proposal reaching its threshold): the committing thread (a batch that still has to
    answer its writes) hands the render to the server loop and returns; the news waits for no flush, and what
    waits for the flush (a vote) stays there."""
    from live import runtime

    monkeypatch.setattr(runtime, "_server_loop", asyncio.get_running_loop())
    monkeypatch.setattr(settings, "LIVE_FLUSH_INTERVAL", 30.0)  # a flush at the interval would come far too late
    release, rendered = threading.Event(), threading.Event()
    render = registry._renderer

    def slow_render(*args):
        release.wait(5)
        rendered.set()
        return render(*args)

    registry.set_renderer(slow_render)
    fake.value = 3
    await process.current().coalescer.mark_async(DEBATE, {"poll:1"})

    def commit() -> bool:
        publish.publish_soon(DEBATE, {"proposal_news:1"})
        return rendered.is_set()

    assert await asyncio.to_thread(commit) is False  # it returned while the render is still held
    release.set()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not fake.sent:
        await asyncio.sleep(0.02)
    assert fake.calls == [(DEBATE, frozenset({"proposal_news:1"}))]
    assert last_html(fake.sent) == '<div id="proposal_news:1">3</div>'


async def test_news_that_fail_to_leave_are_kept_and_flushed_later(fake):
    """The news must get out: a render (or the layer) failing puts the widgets back as a failed flush's."""
    render = registry._renderer
    failures = [RuntimeError("database unreachable")]

    def flaky_render(*args):
        if failures:
            raise failures.pop()
        return render(*args)

    registry.set_renderer(flaky_render)
    fake.value = 4
    coalescer = Coalescer(process.current())
    await coalescer.publish_soon(DEBATE, {"proposal_news:2"})
    assert not failures and not fake.sent
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not fake.sent:
        await asyncio.sleep(0.05)
    assert last_html(fake.sent) == '<div id="proposal_news:2">4</div>'


def test_without_a_server_loop_a_soon_announce_publishes_at_once(fake):
    fake.value = 5
    publish.publish_soon(DEBATE, {"proposal_news:3"})
    assert fake.calls == [(DEBATE, frozenset({"proposal_news:3"}))]


async def test_when_the_marks_stop_the_flush_does_not_wait_for_a_long_interval(fake, monkeypatch):
    """In front of thousands the interval is long (1.7 s at 17,000 sockets): a burst's final count leaves once the
    marks stop, not at the end of the interval."""
    coalescer = Coalescer(process.current())
    monkeypatch.setattr(coalescer, "interval", lambda debate_id: 30.0)
    for i in range(1, 11):
        fake.value = i
        await coalescer.mark_async(DEBATE, {"poll:1"})
        await asyncio.sleep(0.02)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not fake.sent:
        await asyncio.sleep(0.05)
    assert fake.calls == [(DEBATE, frozenset({"poll:1"}))]
    assert last_html(fake.sent) == '<div id="poll:1">10</div>'


async def test_a_trickle_of_marks_costs_at_most_two_flushes_per_interval(fake, monkeypatch):
    """Marks spaced wider than the quiet delay each look like the end of a burst: the early flush is held to half
    an interval after the previous one."""
    coalescer = Coalescer(process.current())
    interval = 1.2
    monkeypatch.setattr(coalescer, "interval", lambda debate_id: interval)
    started = time.monotonic()
    for i in range(1, 11):  # one mark every 0.35 s, wider than the quiet delay (LIVE_FLUSH_INTERVAL)
        fake.value = i
        await coalescer.mark_async(DEBATE, {"poll:1"})
        await asyncio.sleep(settings.LIVE_FLUSH_INTERVAL + 0.1)
    elapsed = time.monotonic() - started
    await asyncio.sleep(interval)
    assert 2 <= len(fake.calls) <= elapsed / (interval / 2) + 1
    assert last_html(fake.sent) == '<div id="poll:1">10</div>'


async def test_a_steady_burst_is_flushed_once_per_long_interval(fake, monkeypatch):
    coalescer = Coalescer(process.current())
    interval = 1.0
    monkeypatch.setattr(coalescer, "interval", lambda debate_id: interval)
    started = time.monotonic()
    i = 0
    while time.monotonic() - started < 2.5:  # never quiet: a mark every 20 ms
        i += 1
        fake.value = i
        await coalescer.mark_async(DEBATE, {"poll:1"})
        await asyncio.sleep(0.02)
    elapsed = time.monotonic() - started
    await asyncio.sleep(interval)
    assert len(fake.calls) <= elapsed / interval + 1
    assert last_html(fake.sent) == f'<div id="poll:1">{i}</div>'


@requires_redis
async def test_with_redis_a_mark_during_a_flush_elects_the_next_one_and_is_not_lost(fake):
    """The flush frees its lock in the step that takes the dirty widgets (no round trip after the render): a mark
    by another process while it renders elects that process, whose flush carries the mark."""
    from live import groups

    fake.delay = 0.3
    process_a, process_b = Coalescer(process.current()), Coalescer(process.current())
    redis = process.current().redis
    try:
        fake.value = 1
        await process_a.mark_async(DEBATE, {"poll:1"})
        flushing = asyncio.ensure_future(process_a.flush(DEBATE))
        while not fake.calls:  # the render has begun: the widgets are taken, the lock is free
            await asyncio.sleep(0.01)
        assert not await redis.exists(groups.flush_lock_key(DEBATE))
        fake.value = 2
        await process_b.mark_async(DEBATE, {"poll:1"})
        assert DEBATE in process_b.elected
        await flushing
        await settle(fake.delay + 0.25)
        assert [keys for _d, keys in fake.calls] == [frozenset({"poll:1"})] * 2
        assert last_html(fake.sent) == '<div id="poll:1">2</div>'
    finally:
        await redis.delete(groups.flush_lock_key(DEBATE), groups.dirty_key(DEBATE))


@requires_redis
async def test_with_redis_the_flush_lock_outlives_the_interval(fake, monkeypatch):
    """A lock expiring before its flush let a later mark elect a second flusher (in this or another process)."""
    from live import groups

    coalescer = Coalescer(process.current())
    monkeypatch.setattr(coalescer, "interval", lambda debate_id: 3.0)
    redis = process.current().redis
    try:
        await coalescer.mark_async(DEBATE, {"poll:1"})
        assert DEBATE in coalescer.elected
        assert await redis.pttl(groups.flush_lock_key(DEBATE)) > 3000
    finally:
        await coalescer.flush(DEBATE)
        await redis.delete(groups.flush_lock_key(DEBATE), groups.dirty_key(DEBATE))


async def test_debates_flushed_long_ago_are_forgotten(fake, monkeypatch):
    """A process serving debate after debate keeps no entry for each debate it ever flushed."""
    from live import coalesce

    monkeypatch.setattr(coalesce, "FORGET_ABOVE", 3)
    coalescer = Coalescer(process.current())
    long_ago = coalescer.rt.loop.time() - coalesce.FORGET_AFTER - 1
    for old in range(1, 5):
        coalescer.last_flush[old], coalescer.generation[old] = long_ago, 7
    coalescer.scheduled.add(4)  # one of them has a flush pending: kept
    await coalescer.mark_async(DEBATE, {"poll:1"})
    await settle()
    assert len(fake.sent) == 1
    assert set(coalescer.last_flush) == {4, DEBATE} and set(coalescer.generation) == {4, DEBATE}
    # The next sweep waits a minute: a process flushing many busy debates does not scan them at every flush.
    for old in range(5, 9):
        coalescer.last_flush[old] = long_ago
    await coalescer.mark_async(DEBATE, {"poll:1"})
    await settle()
    assert len(fake.sent) == 2 and set(coalescer.last_flush) == {4, 5, 6, 7, 8, DEBATE}
