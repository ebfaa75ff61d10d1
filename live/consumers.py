"""Websocket consumers: authorise, join the relay, send a snapshot, then only forward pre-rendered fragments.

The websocket carries server → browser fragments, and the answers to a citizen's votes, upvotes and supports sent
over it (`write` frames, see _write); every other write is an HTTP POST. Frames from the browser are limited to
small flat JSON objects (ping, identify, write, a console's handling); anything else is refused (counted, and the socket closed after
MAX_BAD_FRAMES) without a traceback and without affecting other clients. Whatever way a socket ends (closed by
the client, refused, revoked, stalled, or its consumer failing), it leaves the relay and presence.
The domain is reached only through live.registry.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import time
from typing import Any
from urllib.parse import parse_qs

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.http.cookie import parse_cookie

from . import drain, groups, process, registry, wire
from .relay import (
    CLOSE_BAD_FRAMES,
    CLOSE_ERROR,
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_RESTART,
    CLOSE_TOO_BIG,
    CLOSE_TOO_MANY,
    Relay,
    write_or_shut,
)

log = logging.getLogger(__name__)

MAX_BAD_FRAMES = 20
MAX_NESTING = 4  # a ping or identify message is one flat object: deeper JSON is refused before parsing


ACCESS_TTL = 5.0  # seconds; a connect storm resolves a debate code once per process, not once per socket
_access_cache: dict[tuple[str, str, str], tuple[float, tuple[int, str | None] | None]] = {}
_access_inflight: dict[tuple[str, str, str], asyncio.Future] = {}


async def cached_access(code: str, kind: str, token: str) -> tuple[int, str | None] | None:
    """registry.access for anonymous audiences (public, screen), memoised briefly and resolved off the shared
    sync thread, so thousands of handshakes don't queue behind one database call each. A revocation forgets the
    debate's entries at once (forget_access)."""
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
        access = await database_sync_to_async(registry.access, thread_sensitive=False)(
            code=code, kind=kind, user=None, token=token
        )
        if len(_access_cache) > 10_000:
            _access_cache.clear()
        if _access_inflight.get(key) is pending:  # not forgotten by a revocation meanwhile
            _access_cache[key] = (now, access)
        pending.set_result(access)
        return access
    except BaseException as exc:
        pending.set_exception(exc)
        pending.exception()  # consumed here; waiters re-raise it
        raise
    finally:
        if _access_inflight.get(key) is pending:
            _access_inflight.pop(key, None)


def forget_access(message: dict[str, Any]) -> None:
    """A control message: after a revocation, cached authorisations of that debate (all debates if none named)
    are looked up again."""
    if message.get("type") != "live.revoke":
        return
    debate_id = message.get("debate")
    for key, (_at, access) in list(_access_cache.items()):
        if debate_id is None or (access is not None and access[0] == debate_id):
            _access_cache.pop(key, None)
    _access_inflight.clear()  # lookups under way may have read the old state


def _watch_control(relay: Relay) -> None:
    if forget_access not in relay.control_listeners:
        relay.control_listeners.append(forget_access)
        drain.watch(relay.control_listeners)


class DebateConsumer(AsyncWebsocketConsumer):
    """One socket of a citizen page, the projected screen or the moderation console.

    The audience comes from the URL and is authorised on the server (screen token, moderator role).
    """

    audience = "public"
    debate_id: int | None = None
    bad_frames = 0
    write_frame: wire.FrameWriter | None = None  # broadcasts skip per-socket framing under daphne
    participant_id: int | None = None  # the citizen behind a public socket once identified, for nudges
    user_id: int | None = None  # the staff user behind a moderators' socket, for revocation
    user_name = ""  # their name, as other moderators see it ("Ana is on it")
    handling: int | None = None  # the card this moderator last said they handle
    backlog = 0
    closing = False
    relay: Relay | None = None
    # No channel-layer channel per socket: broadcasts reach sockets through the per-process relay. (Channels gives
    # every consumer its own layer channel and a receive loop on it: with the in-memory layer every receive walks
    # all channels, O(N²) in a connect storm; with Redis it is one SUBSCRIBE per socket.) An alias that is not
    # configured makes get_channel_layer() return None, Channels' documented way to run without a layer.
    channel_layer_alias = "live-relay-only"

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            # However the consumer ends (disconnect, a crash, daphne cancelling it), the socket leaves the relay.
            self._leave()

    async def dispatch(self, message: dict) -> None:
        # Channels awaits aclose_old_connections() — a hop through the one shared sync thread — before every
        # handler. This consumer never touches the ORM on the event loop (its lookups close their own connections
        # in worker threads), so connect/receive/disconnect skip that hop: it serialised connect storms.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        if message["type"] != "websocket.receive":
            await handler(message)
            return
        try:
            await handler(message)
        except Exception:
            log.exception("websocket receive failed; closing that socket")
            self.shut(CLOSE_ERROR, "server error")

    async def connect(self) -> None:
        rt = process.current()
        if rt.draining:  # this process is going away: the page reconnects, through the load balancer, elsewhere
            await self._refuse_open(CLOSE_RESTART, "server restarting")
            return
        client = self.scope.get("client")
        if rt.relay.total_count() >= settings.LIVE_MAX_SOCKETS_PER_PROCESS or not await rt.limiter.allow(
            client[0] if client else None
        ):
            await self._refuse_open(CLOSE_TOO_MANY, "too many connections: retry later")
            return
        kwargs = self.scope["url_route"]["kwargs"]
        code = kwargs["code"].upper()
        kind = kwargs.get("kind", "public")
        token = kwargs.get("token", "")
        try:
            if kind == "moderators":  # per user: never cached
                user = self.scope.get("user")
                access = await database_sync_to_async(registry.access)(
                    code=code, kind=kind, user=user, token=token, session=self.scope.get("session")
                )
                self.user_id = getattr(user, "pk", None)
                full_name = getattr(user, "get_full_name", None)
                self.user_name = (full_name() if callable(full_name) else "") or getattr(user, "username", "")
            else:
                access = await cached_access(code, kind, token)
        except Exception:
            log.exception("websocket authorisation failed")
            await self.close(code=CLOSE_RESTART)
            return
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
        # Under daphne, autobahn refuses oversized frames while reading them (before this socket can send any).
        wire.limit_incoming(self.base_send, settings.LIVE_MAX_FRAME_BYTES)
        await self.accept()
        self.write_frame = wire.direct_writer(self.base_send)
        relay = self.relay = rt.relay
        _watch_control(relay)
        await relay.join(debate_id, audience, self)
        if self.closing:  # revoked or refused while joining
            self._leave()
            return
        if audience.startswith("public."):
            await self._identify_by_cookie(debate_id)
        try:
            # The browser's offset to server time, fresh on every (re)connect; the snapshot may be cached.
            now_ms = int(time.time() * 1000)
            await self.send_frame(
                f'<div id="server-time" hidden hx-swap-oob="true" data-server-now-ms="{now_ms}"></div>'
            )
            await self.send_frame(await relay.snapshot(debate_id, audience))
        except Exception:
            # A page left open without its snapshot would show stale counts until the next change (which may never
            # come): close with "restarting" so it reconnects, with jitter, and takes a snapshot again.
            log.exception("snapshot failed for debate %s; the page is asked to reconnect", debate_id)
            self.shut(CLOSE_RESTART, "snapshot failed: reconnect")

    async def _identify_by_cookie(self, debate_id: int) -> None:
        """A citizen's socket is the participant its session cookie holds in this debate, from the handshake on: it
        says so first ({"type": "identity", "ref": their live_ref}), so the page needs no token from …/me to be
        nudged or to write over it. Without one, the page identifies the socket itself (an identify frame)."""
        cookie = _cookie(self.scope, settings.SESSION_COOKIE_NAME)
        try:
            found = registry.participant_for_session(cookie, debate_id) if cookie else None
        except Exception:  # an unreadable cookie: the page identifies itself as before
            log.warning("could not read a socket's session cookie", exc_info=True)
            found = None
        if found is None or self.relay is None:
            return
        participant_id, ref = found
        self.relay.identify(debate_id, self, participant_id)
        await self.send_frame(json.dumps({"type": "identity", "ref": ref}))

    async def _refuse_open(self, code: int, reason: str) -> None:
        """Accept, then close with a code the page acts on (a refused handshake only shows the browser 1006)."""
        self.closing = True
        await self.accept()
        if not wire.close(self.base_send, code, reason):
            await self.close(code=code, reason=reason)

    async def disconnect(self, code: int) -> None:
        if self.handling is not None:  # a console that goes away handles nothing any more
            self.handling = None
            await self._tell_handling(None)
        self._leave()

    def _leave(self) -> None:
        """Leave the relay (once): at once from this socket's sets, then presence and teardown in a task."""
        relay, self.relay = self.relay, None
        if relay is None or self.debate_id is None:
            return
        sockets = relay.debates.get(self.debate_id)
        if sockets is not None:
            relay._forget(sockets, self.audience, self)
        task = relay.loop.create_task(relay.leave(self.debate_id, self.audience, self))
        _pending_leaves.add(task)
        task.add_done_callback(_pending_leaves.discard)

    def shut(self, code: int, reason: str) -> None:
        """Leave the relay now and close with this code and reason (live.relay close codes)."""
        if self.closing:
            return
        self.closing = True
        self._leave()
        if not wire.close(self.base_send, code, reason):
            task = asyncio.get_running_loop().create_task(self.close(code=code, reason=reason))
            _pending_leaves.add(task)
            task.add_done_callback(_pending_leaves.discard)

    async def send_frame(self, text: str) -> None:
        # Under daphne, through our own framing: autobahn's sendMessage applies the *incoming* size limit
        # (limit_incoming) to what we send too, which refused every snapshot above LIVE_MAX_FRAME_BYTES.
        if self.write_frame is not None:
            write_or_shut(self, wire.text_frame(text), settings.LIVE_SEND_HIGH_WATER_BYTES)
            return
        await self.send(text_data=text)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:  # binary frames are never part of the protocol
            await self._refuse()
            return
        if len(text_data) > settings.LIVE_MAX_FRAME_BYTES or len(text_data.encode()) > settings.LIVE_MAX_FRAME_BYTES:
            self.shut(CLOSE_TOO_BIG, "frame too big")
            return
        message = _parse(text_data) or {}  # an unreadable frame has no type: refused below like any bad frame
        kind = message.get("type")
        if kind == "identify" and self.audience.startswith("public.") and self.debate_id is not None:
            # The citizen's page says who it is with the token its own state carries (live_token), so that
            # nudges about their questions reach it; a forged or foreign token is refused like any bad frame.
            participant_id = registry.participant_for_token(message.get("token"), self.debate_id)
            if participant_id is None or self.relay is None:
                await self._refuse()
                return
            self.relay.identify(self.debate_id, self, participant_id)
            return
        if kind == "write" and self.audience.startswith("public.") and self.debate_id is not None:
            await self._write(message)
            return
        if kind == "handling" and self.audience.startswith("moderators.") and self.debate_id is not None:
            question = message.get("q")
            if question is not None and (type(question) is not int or not 0 < question < 2**31):
                await self._refuse()
                return
            if question != self.handling:
                self.handling = question
                await self._tell_handling(question)
            return
        if kind != "ping":
            await self._refuse()
            return
        # Pings keep proxies from closing idle sockets; nothing to answer beyond the transport's own pong.

    async def _write(self, message: dict[str, Any]) -> None:
        """A citizen's vote, upvote or support sent over their page's socket: the domain (registry.write) stores it
        in the same batches as the HTTP views and this socket answers {"type": "answer", "n": the frame's n, …}.
        Frames are handled one at a time, so a socket has at most one write waiting for its batch."""
        n = message.get("n")
        if type(n) is not int or not 0 <= n < 2**31 or self.debate_id is None:
            await self._refuse()
            return
        answer: dict[str, Any] | None
        if not settings.LIVE_SOCKET_WRITES:
            answer = {"retry": True}
        else:
            client = self.scope.get("client")
            answer = await registry.write(
                debate_id=self.debate_id,
                code=self.scope["url_route"]["kwargs"]["code"].upper(),
                participant_id=self.participant_id,
                client_key=message.get("key"),
                action=message.get("action"),
                target=message.get("target"),
                option=message.get("option"),
                address=client[0] if client else "",
                language=self.audience.partition(".")[2],
            )
        if answer is None:
            await self._refuse()
            return
        participant = answer.get("participant")
        if participant is not None and self.participant_id is None and self.relay is not None:
            self.relay.identify(self.debate_id, self, participant)  # its nudges now reach this page
        if not self.closing:
            reply = {k: v for k, v in answer.items() if k != "participant"}
            await self.send_frame(json.dumps({"type": "answer", "n": n, **reply}))

    async def _tell_handling(self, question: int | None) -> None:
        """Tell the debate's other consoles which card this moderator is on (None: none any more). Names only the
        user and the card; each console shows it on that card, in its own language, and drops it after a while."""
        if self.debate_id is None or self.user_id is None:
            return
        marker = (
            f'<div hx-swap-oob="beforeend:#mod-handling"><i data-handling data-by-id="{self.user_id}"'
            f' data-by="{html.escape(self.user_name)}" data-q="{question or ""}"></i></div>'
        )
        version = time.time_ns() // 1000
        frames = {
            a: [[f"handling:{self.user_id}", version, marker]] for a in groups.AUDIENCES if a.startswith("moderators.")
        }
        try:
            await process.current().layer.group_send(
                groups.debate_group(self.debate_id), {"type": "live.frames", "frames": frames}
            )
        except Exception:  # a hint, never worth failing the socket for
            log.warning("could not tell the other consoles who handles a card", exc_info=True)

    async def _refuse(self) -> None:
        self.bad_frames += 1
        if self.bad_frames >= MAX_BAD_FRAMES:
            self.shut(CLOSE_BAD_FRAMES, "too many bad frames")


def _cookie(scope: dict, name: str) -> str:
    """One cookie of the handshake (Channels' CookieMiddleware parses them all for every socket)."""
    for header, value in scope.get("headers", ()):
        if header == b"cookie":
            return parse_cookie(value.decode("latin-1")).get(name, "")
    return ""


def _parse(text: str) -> dict[str, Any] | None:
    """A flat JSON object, or None: never raises (deep nesting is refused before the parser recurses)."""
    if text.count("[") + text.count("{") > MAX_NESTING:
        return None
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return message if isinstance(message, dict) else None


_pending_leaves: set[asyncio.Task] = set()  # keeps leave/close tasks referenced until they finish
