"""Broadcast frames written straight to daphne's sockets.

Under daphne a `websocket.send` goes through Channels, daphne's reply handler and autobahn, which encodes and
frames the text anew for every socket (and, with Twisted, registers the socket for writing and unregisters it
after each message). A broadcast sends the same text to thousands of sockets: the relay frames it once
(`text_frame`) and hands the bytes to each socket's transport (`direct_writer`). Frames from a server are not
masked, so the bytes are the same for every client and identical to what autobahn would write.

When nothing is queued for a plain TCP socket the frame is sent at once (see `write`). Only used when the socket
is daphne's and uncompressed; otherwise (uvicorn, tests' communicators) the ordinary
`send` is used. Control frames, handshakes and closes always go through daphne.
"""

from __future__ import annotations

import functools
import struct
from collections.abc import Callable
from typing import Any

FrameWriter = Callable[[bytes], bool]


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


def direct_writer(send: Any) -> FrameWriter | None:
    """For an ASGI `send` of a daphne websocket, a function writing a ready frame to it; None otherwise.

    The function returns False (and writes nothing) once the socket is no longer open.
    """
    if not isinstance(send, functools.partial) or not send.args:
        return None
    try:
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:
        return None
    protocol = send.args[0]
    if not isinstance(protocol, WebSocketProtocol) or getattr(protocol, "_perMessageCompress", None) is not None:
        return None
    from twisted.internet.tcp import Server as PlainTCP

    open_state = protocol.STATE_OPEN

    def write(frame: bytes) -> bool:
        transport = protocol.transport
        if protocol.state != open_state or transport is None:
            return False
        if (type(transport) is PlainTCP and not transport.TLS and transport.connected
                and not transport.disconnecting and not transport.dataBuffer and not transport._tempDataBuffer):
            # Nothing queued: send now with Twisted's own non-blocking send, as asyncio's transports do, instead of
            # registering the socket for writing and unregistering it after the next loop turn (two epoll_ctl
            # calls and a callback per socket per broadcast). What the kernel does not take is queued as usual.
            sent = transport.writeSomeData(frame)
            if not isinstance(sent, int):
                return False  # connection lost: Twisted notices on its next read and closes the socket
            if sent == len(frame):
                return True
            frame = frame[sent:]
        transport.write(frame)
        return True

    return write
