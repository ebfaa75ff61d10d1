"""One debate's relay state in this process (its sockets by audience and by citizen, its subscription and its
cached fragments), and what the Relay's parts (core, delivery, presence, control) share."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import groups
from .sockets import Socket

if TYPE_CHECKING:
    from ..process import Runtime


@dataclass
class DebateRelay:
    debate_id: int
    sockets: dict[str, set[Socket]] = field(default_factory=lambda: {a: set() for a in groups.AUDIENCES})
    citizens: dict[int, set[Socket]] = field(default_factory=dict)  # participant id -> their sockets here
    channel: str = ""
    reader: asyncio.Task | None = None
    # audience -> widget key -> (version, html)
    latest: dict[str, dict[str, tuple[int, str]]] = field(default_factory=dict)
    latest_full_at: dict[str, float] = field(default_factory=dict)
    # audience -> [(sequence, html)]: item fragments relayed since that audience's snapshot render began
    deltas: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    delta_seq: int = 0
    rendering: dict[str, asyncio.Future] = field(default_factory=dict)
    # Concurrent joins must not each subscribe a relay channel (duplicate readers = every message sent twice).
    joining: asyncio.Lock = field(default_factory=asyncio.Lock)
    presence_dirty: bool = False
    presence_writer: asyncio.Task | None = None
    # Writes of this process's listened audiences (Redis) are serialised: each writes the set of its moment.
    audiences_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def audiences(self) -> list[str]:
        return sorted(a for a, sockets in self.sockets.items() if sockets)

    def count(self) -> int:
        return sum(len(s) for s in self.sockets.values())

    def all_sockets(self) -> list[Socket]:
        return [sock for sockets in self.sockets.values() for sock in sockets]


class RelayParts:
    """The attributes every part of the Relay uses, set by Relay.__init__ (live/relay/core.py)."""

    rt: Runtime
    loop: asyncio.AbstractEventLoop
    debates: dict[int, DebateRelay]
    layer: Any
    redis: Any

    if TYPE_CHECKING:  # what one part calls on another (core: local_count, supervise; presence: presence_total)

        def local_count(self, debate_id: int) -> int: ...

        def supervise(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> asyncio.Task: ...

        async def presence_total(self, debate_id: int) -> int: ...
