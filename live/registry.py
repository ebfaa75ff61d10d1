"""The one seam between the transport and the domain.

live/ knows widgets only by key ("questions", "poll:12", "presence"…) and debates only by id. The domain
registers, at start-up (debates.apps), the functions live/ calls:

- render(debate_id, keys or None for all, audiences, presence) returns, per audience, a list of
  [key, version, html] fragments, each html a complete widget with a stable root id;
- access(code=, kind=, user=, token=, session=) -> (debate id, role or None when forbidden) or None for an unknown
  debate (kind: "public", "screen", "moderators"; session: the moderators' socket's session, None for the others);
- participant_for_token(token, debate_id) -> the participant id a citizen page's live_token names, or None;
- participant_for_session(cookie, debate_id) -> (participant id, live_ref) the session cookie of a citizen's socket
  holds in the debate, or None (no database: it runs on the event loop);
- presence hook (debate_id, connected), called in a worker thread when a presence update is flushed;
- writer: async (debate_id=, code=, participant_id=, client_key=, action=, target=, option=, address=, language=)
  -> the answer to a citizen's write sent over their socket (a dict sent back as JSON), or None for a frame that
  names no write.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

Frames = dict[str, list[list[Any]]]
Renderer = Callable[[int, Iterable[str] | None, Iterable[str], int | None], Frames]
Access = Callable[..., tuple[int, str | None] | None]
_renderer: Renderer | None = None
_presence_hook: Callable[[int, int], None] | None = None
_access: Access | None = None
_participant_for_token: Callable[[Any, int], int | None] | None = None
_participant_for_session: Callable[[str, int], tuple[int, str] | None] | None = None
Writer = Callable[..., Awaitable[dict[str, Any] | None]]
_writer: Writer | None = None


def set_renderer(fn: Renderer) -> None:
    global _renderer
    _renderer = fn


def set_presence_hook(fn: Callable[[int, int], None]) -> None:
    """fn(debate_id, connected) is called (in a worker thread) when a presence update is flushed."""
    global _presence_hook
    _presence_hook = fn


def set_access(
    access: Access,
    participant_for_token: Callable[[Any, int], int | None],
    participant_for_session: Callable[[str, int], tuple[int, str] | None] | None = None,
) -> None:
    global _access, _participant_for_token, _participant_for_session
    _access, _participant_for_token, _participant_for_session = access, participant_for_token, participant_for_session


def set_writer(fn: Writer) -> None:
    global _writer
    _writer = fn


def _missing(what: str) -> RuntimeError:
    return RuntimeError(f"No live {what} registered (is the debates app installed?)")


def render(debate_id: int, keys: Iterable[str] | None, audiences: Iterable[str], presence: int | None) -> Frames:
    if _renderer is None:
        raise _missing("renderer")
    return _renderer(debate_id, keys, audiences, presence)


def access(*, code: str, kind: str, user: Any, token: str = "", session: Any = None) -> tuple[int, str | None] | None:
    """Sync (database): who may open this socket. See the module docstring."""
    if _access is None:
        raise _missing("access check")
    return _access(code=code, kind=kind, user=user, token=token, session=session)


def participant_for_token(token: Any, debate_id: int) -> int | None:
    """Sync (no database: a signed token)."""
    if _participant_for_token is None:
        raise _missing("token check")
    return _participant_for_token(token, debate_id)


def participant_for_session(cookie: str, debate_id: int) -> tuple[int, str] | None:
    """Sync (no database: a signed cookie)."""
    return None if _participant_for_session is None else _participant_for_session(cookie, debate_id)


def record_presence(debate_id: int, connected: int) -> None:
    if _presence_hook is not None:
        _presence_hook(debate_id, connected)


async def write(**fields: Any) -> dict[str, Any] | None:
    """A citizen's write sent over their socket (see the module docstring)."""
    if _writer is None:
        raise _missing("writer")
    return await _writer(**fields)
