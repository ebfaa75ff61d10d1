"""What the relay needs of a socket, its close codes, and the guarded writes: a failing or stalled socket is
dropped and closed, never the broadcast."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from .. import wire

log = logging.getLogger("live.relay")  # one logger for the whole relay, whichever module logs

# Close codes (autobahn under daphne accepts only 1000 and 3000–4999). static/js/live.js reconnects on
# CLOSE_STALLED and CLOSE_RESTART at once (with jitter), later on CLOSE_TOO_MANY, never on the others.
CLOSE_BAD_FRAMES = 4400
CLOSE_REVOKED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_STALLED = 4408
CLOSE_TOO_BIG = 4413
CLOSE_TOO_MANY = 4429
CLOSE_ERROR = 4500
CLOSE_RESTART = 4503


class Socket(Protocol):
    # Set for daphne sockets (live.wire): writes an already framed message, returns the bytes still queued
    # (-1 once the socket is closing).
    write_frame: wire.FrameWriter | None
    # The citizen behind a public socket once their page has identified itself (for nudges); None otherwise.
    participant_id: int | None
    # The staff user behind a moderators' socket (for revocation); None otherwise.
    user_id: int | None
    # Bytes handed to sends that have not completed (servers with write backpressure; see send_eagerly).
    backlog: int

    async def send_frame(self, text: str) -> None: ...

    def shut(self, code: int, reason: str) -> None:
        """Leave the relay now and close the socket with this code."""


def write_or_shut(sock: Socket, frame: bytes, high_water: int, sockets: set | None = None) -> None:
    """Write a ready frame to a daphne socket (sock.write_frame); past the high-water mark of bytes still queued for
    it, the client is too slow: it leaves `sockets` and is closed with CLOSE_STALLED (its page reconnects)."""
    assert sock.write_frame is not None
    if sock.write_frame(frame) > high_water:
        if sockets is not None:
            sockets.discard(sock)
        sock.shut(CLOSE_STALLED, "too slow: reconnect")


def _shut_quietly(sock: Socket, code: int, reason: str) -> None:
    try:
        sock.shut(code, reason)
    except Exception:
        log.warning("closing a socket failed", exc_info=True)


def send_eagerly(coro: Any, sockets: set, sock: Any, size: int = 0, high_water: int | None = None) -> None:
    """Run a socket send now, without a task, as far as it goes without waiting.

    Under daphne a send never waits, so the whole broadcast runs without creating a task per socket. Servers with
    write backpressure (uvicorn) may make a send wait for a slow client: only that send is handed to a task, so one
    slow phone never holds up the broadcast for the others; what such tasks hold is counted per socket, and a
    socket above the high-water mark is closed as stalled.
    """
    try:
        awaited = coro.send(None)
    except StopIteration:
        return
    except Exception:  # a socket closing mid-broadcast must not stop the others
        sockets.discard(sock)
        return
    backlog = getattr(sock, "backlog", 0) + size
    if high_water is not None and backlog > high_water:
        coro.close()
        sockets.discard(sock)
        _shut_quietly(sock, CLOSE_STALLED, "too slow: reconnect")
        return
    if hasattr(sock, "backlog"):
        sock.backlog = backlog
    asyncio.get_running_loop().create_task(_finish_send(coro, awaited, sockets, sock, size))


async def _finish_send(coro: Any, awaited: Any, sockets: set, sock: Any, size: int) -> None:
    try:
        while True:
            try:
                if awaited is None:
                    await asyncio.sleep(0)
                else:
                    await awaited
            except BaseException:
                pass  # the coroutine sees the outcome through the future when resumed
            try:
                awaited = coro.send(None)
            except StopIteration:
                return
            except Exception:
                sockets.discard(sock)
                return
    finally:
        if hasattr(sock, "backlog"):
            sock.backlog -= size
