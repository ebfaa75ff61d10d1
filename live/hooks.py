"""Observers of every broadcast this process sends (tests, the benchmark's write route)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

Frames = dict[str, list[list[Any]]]
Listener = Callable[[int, Frames], None]
listeners: list[Listener] = []
# Listeners that need every audience rendered (a test asserting what moderators or an unlistened language get).
# The others see only what someone listens to: the benchmark's observer must not make the server render six
# languages where production renders one.
_every_audience: list[Listener] = []


def notify(debate_id: int, frames: Frames) -> None:
    for listener in list(listeners):
        listener(debate_id, frames)


def every_audience() -> bool:
    """True while an observer wants every audience rendered, listened to or not."""
    return bool(_every_audience)


def add_listener(fn: Listener, *, every_audience: bool = True) -> None:
    if fn not in listeners:
        listeners.append(fn)
        if every_audience:
            _every_audience.append(fn)


def remove_listener(fn: Listener) -> None:
    if fn in listeners:
        listeners.remove(fn)
    if fn in _every_audience:
        _every_audience.remove(fn)


@contextmanager
def listening(fn: Listener, *, every_audience: bool = True) -> Iterator[None]:
    """fn(debate_id, frames) is called for every broadcast sent while inside the block."""
    add_listener(fn, every_audience=every_audience)
    try:
        yield
    finally:
        remove_listener(fn)
