"""Observers of every broadcast this process sends (tests, the benchmark's write route)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Frames = dict[str, list[list[Any]]]
listeners: list[Callable[[int, Frames], None]] = []


def notify(debate_id: int, frames: Frames) -> None:
    for listener in list(listeners):
        listener(debate_id, frames)


@contextmanager
def listening(fn: Callable[[int, Frames], None]) -> Iterator[None]:
    """fn(debate_id, frames) is called for every broadcast sent while inside the block."""
    listeners.append(fn)
    try:
        yield
    finally:
        listeners.remove(fn)
