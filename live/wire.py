"""Daphne's websockets, reached directly where Channels' ASGI messages cannot say what we need.

1. Broadcast frames. Under daphne a `websocket.send` goes through Channels, daphne's reply handler and autobahn,
   which encodes and frames the text anew for every socket (and, with Twisted, registers the socket for writing
   and unregisters it after each message). A broadcast sends the same text to thousands of sockets: the relay
   frames it once (`text_frame`) and hands the bytes to each socket (`direct_writer`). Frames from a server are
   not masked, so the bytes are the same for every client and identical to what autobahn would write.
   When nothing is queued for a plain TCP socket the frame is sent at once with Twisted's non-blocking send
   ("direct" mode). That leans on private internals of daphne (its `functools.partial` send), autobahn
   (`_perMessageCompress`) and Twisted (`dataBuffer`, `_tempDataBuffer`, `writeSomeData`): `check_internals`
   verifies them on the first daphne socket and, when one is gone, logs an error and falls back ("prepared"
   mode) to autobahn's public frame-once API (`sendPreparedMessage`), slower but correct.
2. What a writer returns: the bytes still queued for that client (`-1` once the socket is not open), so the relay
   can close a stalled client past a high-water mark instead of buffering for it without bound.
3. `close`: daphne drops the reason of an ASGI `websocket.close`; under daphne the close frame is sent with it.
4. `limit_incoming`: the largest message a client may send, enforced by autobahn while it reads (on the
   protocol factory at start-up, and on each protocol before its handshake completes), not after receipt.

Only used when the socket is daphne's and uncompressed; otherwise (uvicorn, tests' communicators) the ordinary
ASGI messages are used.
"""

from __future__ import annotations

import functools
import logging
import struct
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

# bytes still queued for the client after the write, or -1 when the socket is no longer open (nothing written)
FrameWriter = Callable[[bytes], int]

# What direct mode needs; checked once, on the first daphne socket (see check_internals).
_TRANSPORT_INTERNALS = (
    "dataBuffer",
    "_tempDataBuffer",
    "_tempDataLen",
    "offset",
    "writeSomeData",
    "connected",
    "disconnecting",
    "TLS",
)
_modes: dict[tuple[type, type], str] = {}  # (protocol class, transport class) -> "direct" | "prepared"


def text_frame(text: str) -> bytes:
    """One final, unmasked websocket text frame (RFC 6455 §5.2) carrying `text`."""
    payload = text.encode("utf-8")
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x81, n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", 0x81, 126, n)
    else:
        header = struct.pack("!BBQ", 0x81, 127, n)
    return header + payload


def _payload(frame: bytes) -> bytes:
    n = frame[1] & 0x7F
    return frame[2 + (2 if n == 126 else 8 if n == 127 else 0) :]


def daphne_protocol(send: Any) -> Any | None:
    """The autobahn protocol behind an ASGI `send` of a daphne websocket (daphne passes
    `functools.partial(server.handle_reply, protocol)`); None for any other server.

    Channels' session middleware (the moderators' AuthMiddlewareStack) wraps that send in its own bound method,
    which holds daphne's as `real_send`: it is followed. The wrapper only acts on the handshake (it saves the
    session on `websocket.accept`), so frames written past it once the socket is open are what it would send."""
    for _wrapper in range(4):
        if isinstance(send, functools.partial):
            break
        inner = getattr(getattr(send, "__self__", None), "real_send", None)
        if inner is None:
            return None
        send = inner
    if not isinstance(send, functools.partial) or not send.args:
        return None
    try:
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:
        return None
    protocol = send.args[0]
    return protocol if isinstance(protocol, WebSocketProtocol) else None


def check_internals(protocol: Any) -> str:
    """'direct' when every private attribute the shortcut uses is there, else 'prepared' (logged as an error:
    an upgrade of Twisted, autobahn or daphne removed one, and broadcasts now cost more CPU)."""
    key = (type(protocol), type(getattr(protocol, "transport", None)))
    mode = _modes.get(key)
    if mode is None:
        missing = [
            f"protocol.{name}"
            for name in ("_perMessageCompress", "state", "STATE_OPEN", "transport")
            if not hasattr(protocol, name)
        ]
        transport = getattr(protocol, "transport", None)
        missing += [f"transport.{name}" for name in _TRANSPORT_INTERNALS if not hasattr(transport, name)]
        try:
            from twisted.internet.tcp import Server  # noqa: F401
        except ImportError:
            missing.append("twisted.internet.tcp.Server")
        if missing:
            log.error(
                "live.wire: internals gone (%s): broadcasts fall back to autobahn's sendPreparedMessage",
                ", ".join(missing),
            )
            mode = _modes[key] = "prepared"
        else:
            mode = _modes[key] = "direct"
    return mode


def buffered(transport: Any) -> int:
    """Bytes Twisted still holds for this client."""
    try:
        return len(transport.dataBuffer) - transport.offset + transport._tempDataLen
    except AttributeError:
        return 0


def direct_writer(send: Any) -> FrameWriter | None:
    """For an ASGI `send` of an uncompressed daphne websocket, a function writing a ready frame to it."""
    protocol = daphne_protocol(send)
    if protocol is None or getattr(protocol, "_perMessageCompress", None) is not None:
        return None
    mode = check_internals(protocol)
    open_state = protocol.STATE_OPEN
    if mode == "prepared":
        return _prepared_writer(protocol, open_state)
    from twisted.internet.tcp import Server as PlainTCP

    def write(frame: bytes) -> int:
        transport = protocol.transport
        if protocol.state != open_state or transport is None:
            return -1
        return write_now(transport, frame, PlainTCP)

    return write


def write_now(transport: Any, frame: bytes, plain_tcp: Any) -> int:
    """Write `frame`; returns what stays queued. When nothing is queued on a plain TCP socket, send now with
    Twisted's own non-blocking send, as asyncio's transports do, instead of registering the socket for writing and
    unregistering it after the next loop turn (two epoll_ctl calls and a callback per socket per broadcast). What
    the kernel does not take is queued as usual."""
    if (
        type(transport) is plain_tcp
        and not transport.TLS
        and transport.connected
        and not transport.disconnecting
        and not transport.dataBuffer
        and not transport._tempDataBuffer
    ):
        sent = transport.writeSomeData(frame)
        if not isinstance(sent, int):
            return -1  # connection lost: Twisted notices on its next read and closes the socket
        if sent == len(frame):
            return 0
        frame = frame[sent:]
    transport.write(frame)
    return buffered(transport)


_last_prepared: tuple[bytes, Any] | None = None


def _prepared_writer(protocol: Any, open_state: Any) -> FrameWriter:
    from autobahn.websocket.protocol import PreparedMessage

    def write(frame: bytes) -> int:
        global _last_prepared
        if protocol.state != open_state or protocol.transport is None:
            return -1
        # The relay hands the same bytes to every socket of a broadcast: prepare them once.
        if _last_prepared is None or _last_prepared[0] is not frame:
            _last_prepared = (frame, PreparedMessage(_payload(frame), False, False, True))
        protocol.sendPreparedMessage(_last_prepared[1])
        return buffered(protocol.transport)

    return write


def close(send: Any, code: int, reason: str) -> bool:
    """Close a daphne websocket with a code and a reason (daphne's ASGI close drops the reason). False when this
    is not an open daphne websocket: use the ASGI close."""
    protocol = daphne_protocol(send)
    if protocol is None or getattr(protocol, "state", None) != getattr(protocol, "STATE_OPEN", object()):
        return False
    try:
        protocol.sendClose(code=code, reason=reason[:120])
    except Exception:
        log.warning("close with reason failed; closing without", exc_info=True)
        return False
    return True


def limit_incoming(send: Any, max_bytes: int) -> None:
    """Make autobahn refuse (close 1009) any message or frame from this client above max_bytes while reading it;
    set on the factory too, so connections made afterwards get it from their first byte."""
    protocol = daphne_protocol(send)
    if protocol is None:
        return
    if getattr(protocol, "maxMessagePayloadSize", 0) != max_bytes:
        protocol.maxMessagePayloadSize = protocol.maxFramePayloadSize = max_bytes
    factory = getattr(protocol, "factory", None)
    if factory is not None and getattr(factory, "maxMessagePayloadSize", 0) != max_bytes:
        configure_factory(factory, max_bytes)


def configure_factory(factory: Any, max_bytes: int) -> None:
    factory.setProtocolOptions(maxMessagePayloadSize=max_bytes, maxFramePayloadSize=max_bytes)


def configure_daphne_at_startup(max_bytes: int) -> None:
    """Under daphne, once its reactor runs, set the incoming-size limit on its websocket factory (reached through
    the listening ports' HTTP factory, which holds daphne's Server)."""
    import sys

    if "daphne.server" not in sys.modules:
        return
    try:
        from twisted.internet import reactor as twisted_reactor
    except ImportError:
        return
    reactor: Any = twisted_reactor  # the installed reactor: its type is chosen at run time

    def configure() -> None:
        for reader in list(reactor.getReaders()):
            server = getattr(getattr(reader, "factory", None), "server", None)
            factory = getattr(server, "ws_factory", None)
            if factory is not None:
                configure_factory(factory, max_bytes)
                return

    reactor.callWhenRunning(configure)
