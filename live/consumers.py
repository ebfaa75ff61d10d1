"""Websocket consumers: authorise, join the relay, send a snapshot, then only forward pre-rendered fragments.

The websocket carries server → browser fragments only; every write is an HTTP POST. Frames from the browser are
limited to small JSON pings; anything else is refused without affecting other clients.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.consumer import get_handler_name
from django.conf import settings

from . import groups, wire
from .relay import relay_for_loop

log = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TOO_BIG = 1009
CLOSE_POLICY = 1008
MAX_BAD_FRAMES = 20


ACCESS_TTL = 5.0  # seconds; a connect storm resolves a debate code once per process, not once per socket
_access_cache: dict[tuple[str, str, str], tuple[float, tuple[int, str | None] | None]] = {}
_access_inflight: dict[tuple[str, str, str], asyncio.Future] = {}


async def cached_access(code: str, kind: str, token: str) -> tuple[int, str | None] | None:
    """live_access for anonymous audiences (public, screen), memoised briefly and resolved off the shared
    sync thread, so thousands of handshakes don't queue behind one database call each."""
    from debates import selectors

    key = (code, kind, token)
    now = time.monotonic()
    hit = _access_cache.get(key)
    if hit is not None and now - hit[0] < ACCESS_TTL:
        return hit[1]
    pending = _access_inflight.get(key)
    if pending is not None:  # the same lookup is already running: share it
        return await asyncio.shield(pending)
    pending = _access_inflight[key] = asyncio.get_running_loop().create_future()
    try:
        access = await database_sync_to_async(selectors.live_access, thread_sensitive=False)(
            code=code, kind=kind, user=None, token=token
        )
        if len(_access_cache) > 10_000:
            _access_cache.clear()
        _access_cache[key] = (now, access)
        pending.set_result(access)
        return access
    except BaseException as exc:
        pending.set_exception(exc)
        pending.exception()  # consumed here; waiters re-raise it
        raise
    finally:
        _access_inflight.pop(key, None)


class DebateConsumer(AsyncWebsocketConsumer):
    """One socket of a citizen page, the projected screen or the moderation console.

    The audience comes from the URL and is authorised on the server (screen token, moderator role).
    """

    audience = "public"
    debate_id: int | None = None
    bad_frames = 0
    write_frame: wire.FrameWriter | None = None  # broadcasts skip per-socket framing under daphne
    participant_id: int | None = None  # the citizen behind a public socket once identified, for nudges
    # No channel-layer channel per socket: broadcasts reach sockets through the per-process relay. (Channels gives
    # every consumer its own layer channel and a receive loop on it: with the in-memory layer every receive walks
    # all channels, O(N²) in a connect storm; with Redis it is one SUBSCRIBE per socket.) An alias that is not
    # configured makes get_channel_layer() return None, Channels' documented way to run without a layer.
    channel_layer_alias = "live-relay-only"

    async def dispatch(self, message: dict) -> None:
        # Channels awaits aclose_old_connections() — a hop through the one shared sync thread — before every
        # handler. This consumer never touches the ORM on the event loop (its lookups close their own connections
        # in worker threads), so connect/receive/disconnect skip that hop: it serialised connect storms.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def connect(self) -> None:
        from debates import selectors  # the domain's read side, permission-scoped

        kwargs = self.scope["url_route"]["kwargs"]
        code = kwargs["code"].upper()
        kind = kwargs.get("kind", "public")
        token = kwargs.get("token", "")
        if kind == "moderators":  # per user: never cached
            access = await database_sync_to_async(selectors.live_access)(
                code=code, kind=kind, user=self.scope.get("user"), token=token
            )
        else:
            access = await cached_access(code, kind, token)
        if access is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        debate_id, role = access
        if role is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        query = parse_qs(self.scope.get("query_string", b"").decode(errors="replace"))
        audience = groups.audience(role, (query.get("lang") or [""])[0])
        self.debate_id, self.audience = debate_id, audience
        await self.accept()
        self.write_frame = wire.direct_writer(self.base_send)
        relay = relay_for_loop()
        await relay.join(debate_id, audience, self)
        try:
            # The browser's offset to server time, fresh on every (re)connect; the snapshot may be cached.
            now_ms = int(time.time() * 1000)
            await self.send_frame(f'<div id="server-time" hidden hx-swap-oob="true" data-server-now-ms="{now_ms}"></div>')
            await self.send_frame(await relay.snapshot(debate_id, audience))
        except Exception:
            log.exception("snapshot failed for debate %s", debate_id)

    async def disconnect(self, code: int) -> None:
        if self.debate_id is not None:
            await relay_for_loop().leave(self.debate_id, self.audience, self)

    async def send_frame(self, text: str) -> None:
        await self.send(text_data=text)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > settings.LIVE_MAX_FRAME_BYTES:
            await self.close(code=CLOSE_TOO_BIG)
            return
        try:
            message = json.loads(text_data) if text_data is not None else None
        except ValueError:
            message = None
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "identify" and self.audience.startswith("public.") and self.debate_id is not None:
            # The citizen's page says who it is with the token its own state carries (live_token), so that
            # nudges about their questions reach it; a forged or foreign token is refused like any bad frame.
            from debates import selectors

            participant_id = selectors.participant_for_live_token(message.get("token"), self.debate_id)
            if participant_id is None:
                await self._refuse()
                return
            relay_for_loop().identify(self.debate_id, self, participant_id)
            return
        if kind != "ping":
            await self._refuse()
            return
        # Pings keep proxies from closing idle sockets; nothing to answer beyond the transport's own pong.

    async def _refuse(self) -> None:
        self.bad_frames += 1
        if self.bad_frames >= MAX_BAD_FRAMES:
            await self.close(code=CLOSE_POLICY)
