"""The real application (hub.asgi) plus one bench-only HTTP route that performs a real moderator write.

POST /__bench__/write?debate=<id>&user=<id> runs `services.clock_action(action="extend")` as that moderator in a
worker thread, exactly as a moderation view would: the service checks the role, commits, and live.publish renders
the "status" widget once per audience and broadcasts it through the channel layer. The response is the version
(`data-v`, microseconds since the epoch, taken when the render's database read started) of the public status
fragment, so the load clients can measure write → receipt latency from the fragment itself.

Everything else goes to hub.asgi.application unchanged. Only `bench/run.py` starts a server on this module.
"""

from __future__ import annotations

import json
import threading
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async

from hub.asgi import application as hub_application

_captured = threading.local()


def _listener(debate_id, frames):
    sink = getattr(_captured, "sink", None)
    if sink is not None:
        sink.append(frames)


def _write(debate_id: int, user_id: int) -> int:
    from django.contrib.auth import get_user_model
    from django.db import close_old_connections

    from debates import services
    from debates.models import Debate
    from live import publish

    close_old_connections()
    if _listener not in publish.listeners:
        publish.listeners.append(_listener)
    _captured.sink = sink = []
    try:
        debate = Debate.objects.get(pk=debate_id)
        actor = get_user_model().objects.get(pk=user_id)
        services.clock_action(debate=debate, actor=actor, action="extend", seconds=1)
    finally:
        _captured.sink = None
    for frames in sink:
        for key, version, _html in frames.get("public.fr", []):
            if key == "status":
                return int(version)
    return 0


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == "/__bench__/write":
        while True:  # drain the (empty) body
            message = await receive()
            if not message.get("more_body"):
                break
        query = parse_qs(scope.get("query_string", b"").decode())
        from live.runtime import bind_loop

        bind_loop()
        version = await sync_to_async(_write, thread_sensitive=False)(int(query["debate"][0]), int(query["user"][0]))
        body = json.dumps({"v": version}).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
        return
    return await hub_application(scope, receive, send)
