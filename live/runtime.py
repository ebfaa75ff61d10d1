"""Where the server's event loop is, so that sync code (views, services) can hand work to it.

The ASGI entry point records the running loop on every call (see hub.asgi). Sync code then runs coroutines on it
with `run_on_server_loop`. A process that never served a request (a management command, a plain unit test) has no
server loop: callers fall back to doing the work synchronously.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Coroutine
from typing import Any

_server_loop: asyncio.AbstractEventLoop | None = None

# Identifies this process in Redis (presence counts, flush election).
PROCESS_ID = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def bind_loop() -> None:
    """Record the running loop as the server loop (called from the ASGI entry point, on the loop)."""
    global _server_loop
    loop = asyncio.get_running_loop()
    if loop is not _server_loop:
        _server_loop = loop


def server_loop() -> asyncio.AbstractEventLoop | None:
    loop = _server_loop
    if loop is None or loop.is_closed() or not loop.is_running():
        return None
    return loop


def on_server_loop_thread() -> bool:
    loop = server_loop()
    if loop is None:
        return False
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def run_on_server_loop(coro: Coroutine[Any, Any, Any], wait: bool = True, timeout: float = 5.0) -> bool:
    """Run `coro` on the server loop from any thread. Returns False (and closes coro) when there is none."""
    loop = server_loop()
    if loop is None:
        coro.close()
        return False
    if on_server_loop_thread():
        loop.create_task(coro)
        return True
    future = asyncio.run_coroutine_threadsafe(coro, loop)
    if wait:
        future.result(timeout=timeout)
    return True
