"""A broadcast renders only the audiences (a role in a language) that some socket listens to: six interface
languages no longer cost six renders per vote. Runs on the in-memory layer and, with REDIS_URL, across Redis (where
each process writes its audiences before a new one's snapshot, so no update falls between)."""

from __future__ import annotations

import asyncio

import pytest

from live import groups, registry
from tests.factories import make_debate, make_poll
from tests.live.test_consumers import connect, receive_until, sync

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rendered():
    """The audiences of every render of a broadcast (snapshots and flushes alike), nothing else changed."""
    calls: list[tuple[str, ...]] = []
    real = registry._renderer

    def spying(debate_id, keys, audiences, presence):
        calls.append(tuple(audiences))
        return real(debate_id, keys, audiences, presence)

    registry.set_renderer(spying)
    try:
        yield calls
    finally:
        registry.set_renderer(real)


async def vote(debate, poll, n: int) -> None:
    from debates import services

    option = await sync(lambda: poll.options.first().pk)
    for _ in range(n):
        participant = await sync(services.participant_join, debate=debate)
        await sync(services.vote_cast, poll=poll, participant=participant, option_id=option)


async def test_a_vote_renders_only_the_languages_listened_to(rendered):
    debate = await sync(make_debate)
    poll = await sync(make_poll, debate)
    english = await connect(debate.code, lang="en")
    await receive_until(english, 'id="status"')
    rendered.clear()
    await vote(debate, poll, 1)
    await receive_until(english, lambda t: f'id="poll-{poll.pk}-results"' in t and "1 vote" in t)
    assert rendered and all(set(a) == {"public.en"} for a in rendered), rendered
    # A French page arrives: from then on French is rendered too, and it never misses a count.
    french = await connect(debate.code, lang="fr")
    await receive_until(french, 'id="status"')
    await vote(debate, poll, 1)
    await receive_until(french, lambda t: f'id="poll-{poll.pk}-results"' in t and "2 votes" in t)
    await receive_until(english, lambda t: f'id="poll-{poll.pk}-results"' in t and "2 votes" in t)
    assert set(rendered[-1]) == {"public.en", "public.fr"}, rendered[-1]
    await english.disconnect()
    await french.disconnect()


async def test_an_audience_nobody_listens_to_any_more_is_no_longer_rendered_and_its_cache_is_dropped(rendered):
    from live import process

    debate = await sync(make_debate)
    poll = await sync(make_poll, debate)
    french = await connect(debate.code, lang="fr")
    english = await connect(debate.code, lang="en")
    await receive_until(english, 'id="status"')
    await receive_until(french, 'id="status"')
    await english.disconnect()
    for _ in range(40):  # the leave runs in a task, its Redis write too
        relay = process.current().relay.debates.get(debate.pk)
        if relay is not None and "public.en" not in relay.latest and relay.audiences() == ["public.fr"]:
            break
        await asyncio.sleep(0.05)
    assert relay.audiences() == ["public.fr"] and "public.en" not in relay.latest_full_at
    await asyncio.sleep(0.2)
    rendered.clear()
    await vote(debate, poll, 1)
    await receive_until(french, lambda t: f'id="poll-{poll.pk}-results"' in t and "1 vote" in t)
    assert rendered and all("public.en" not in a for a in rendered), rendered
    # And an English page coming back gets today's count in a fresh snapshot (not the dropped cache).
    english = await connect(debate.code, lang="en")
    snapshot, _ = await receive_until(english, 'id="status"')
    assert "1 vote" in snapshot
    await english.disconnect()
    await french.disconnect()


def test_entries_of_dead_processes_are_ignored():
    import json
    import time

    now = time.time()
    entries = {
        b"alive": json.dumps({"t": now - 5, "a": ["public.fr", "screen.fr"]}).encode(),
        b"dead": json.dumps({"t": now - 120, "a": ["public.de"]}).encode(),
        b"broken": b"{not json",
        b"foreign": json.dumps({"t": now, "a": ["public.xx"]}).encode(),
    }
    assert groups.listened_from(entries, now) == ("public.fr", "screen.fr")
