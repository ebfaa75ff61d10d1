"""The ceiling: a bare `websockets` broadcast server, no Django, no channel layer.

Clients connect to ws://HOST:PORT/ws/...; they get a small snapshot, then every broadcast. A POST-like control
message on a socket at /control ("write") broadcasts one ~300-byte fragment, shaped like our status widget and
carrying its own timestamp in data-v (microseconds since the epoch), with `websockets.broadcast`, and answers
with the version. Usage: python bench/bare_server.py PORT
"""

from __future__ import annotations

import asyncio
import resource
import sys
import time

from websockets.asyncio.server import broadcast, serve

CLIENTS: set = set()
PAD = "x" * 160


def fragment(version: int) -> str:
    return (
        f'<section id="status" class="statusbar status-live" hx-swap-oob="true" data-v="{version}">'
        f'<div class="status-row"><span class="badge">live</span>{PAD}</div></section>'
    )


async def handler(ws) -> None:
    path = ws.request.path
    if path.startswith("/control"):
        async for _message in ws:
            version = time.time_ns() // 1000
            broadcast(CLIENTS, fragment(version))
            await ws.send(str(version))
        return
    CLIENTS.add(ws)
    try:
        await ws.send(fragment(0))
        async for _message in ws:
            pass
    finally:
        CLIENTS.discard(ws)


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, backlog=4096, max_size=8192, compression=None):
        await asyncio.Future()


if __name__ == "__main__":
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main(int(sys.argv[1])))
