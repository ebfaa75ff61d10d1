"""live.wire: the frame the relay writes straight to daphne's sockets must be the frame a client expects."""

from __future__ import annotations

import functools

import pytest
from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from live import wire


def parse(data: bytes) -> Frame:
    reader = StreamReader()
    reader.feed_data(data)
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        return done.value
    raise AssertionError("incomplete frame")


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65535, 65536, 300_000])
def test_text_frame_is_one_final_unmasked_text_frame(size):
    text = ("é" * size)[:size]  # multi-byte characters: the length is in bytes
    frame = parse(wire.text_frame(text))
    assert frame.opcode is Opcode.TEXT and frame.fin and not frame.rsv1
    assert frame.data.decode() == text


def test_direct_writer_only_for_daphne_sockets():
    async def send(message):  # uvicorn, test communicators: an ordinary ASGI send
        return None

    assert wire.direct_writer(send) is None
    assert wire.direct_writer(functools.partial(send)) is None
    assert wire.direct_writer(functools.partial(lambda protocol, message: None, object())) is None


def test_direct_writer_writes_to_an_open_daphne_socket_and_stops_when_it_closes():
    from daphne.ws_protocol import WebSocketProtocol

    class Transport:
        def __init__(self):
            self.written = []

        def write(self, data):
            self.written.append(data)

    async def handle_reply(protocol, message):  # the shape of daphne.server.Server.handle_reply
        return None

    protocol = WebSocketProtocol()
    protocol.transport = Transport()
    protocol.state = protocol.STATE_OPEN
    write = wire.direct_writer(functools.partial(handle_reply, protocol))
    assert write is not None
    frame = wire.text_frame("<div id='status'></div>")
    assert write(frame) is True and protocol.transport.written == [frame]
    protocol.state = protocol.STATE_CLOSING
    assert write(frame) is False and protocol.transport.written == [frame]
