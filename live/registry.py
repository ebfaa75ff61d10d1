"""The one seam between the transport and the domain.

live/ knows widgets only by key ("questions", "poll:12", "presence"…). The domain registers, at start-up, the
function that renders them: render(debate_id, keys or None for all, audiences, presence) returns, per audience,
a list of [key, version, html] fragments, each html a complete widget with a stable root id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Frames = dict[str, list[list[Any]]]
_renderer: Callable[[int, Iterable[str] | None, Iterable[str], int | None], Frames] | None = None
_presence_hook: Callable[[int, int], None] | None = None


def set_renderer(fn: Callable[[int, Iterable[str] | None, Iterable[str], int | None], Frames]) -> None:
    global _renderer
    _renderer = fn


def set_presence_hook(fn: Callable[[int, int], None]) -> None:
    """fn(debate_id, connected) is called (in a worker thread) when a presence update is flushed."""
    global _presence_hook
    _presence_hook = fn


def render(debate_id: int, keys: Iterable[str] | None, audiences: Iterable[str], presence: int | None) -> Frames:
    if _renderer is None:
        raise RuntimeError("No live renderer registered (is the debates app installed?)")
    return _renderer(debate_id, keys, audiences, presence)


def record_presence(debate_id: int, connected: int) -> None:
    if _presence_hook is not None:
        _presence_hook(debate_id, connected)
