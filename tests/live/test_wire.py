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


class FakeReactor:
    """Just enough reactor for a Twisted TCP transport that is written to and flushed by hand."""

    def __init__(self) -> None:
        self.writers: list = []

    def addWriter(self, writer) -> None:
        self.writers.append(writer)

    def removeWriter(self, writer) -> None:
        if writer in self.writers:
            self.writers.remove(writer)

    def addReader(self, reader) -> None:
        pass

    def removeReader(self, reader) -> None:
        pass

    def callLater(self, *args, **kwargs) -> None:
        pass


class Port:
    _realPortNumber = 0

    def logPrefix(self) -> str:
        return "test"


@pytest.fixture
def tcp_pair():
    """A real Twisted TCP server transport on one end of a socket pair with small kernel buffers, and the other
    end (the client)."""
    import socket

    from twisted.internet import tcp

    server_end, client_end = socket.socketpair()
    server_end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    client_end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    server_end.setblocking(False)

    class Protocol:
        def makeConnection(self, transport) -> None:
            pass

    reactor = FakeReactor()
    transport = tcp.Server(server_end, Protocol(), ("127.0.0.1", 1), Port(), 1, reactor)
    yield transport, client_end, reactor
    server_end.close()
    client_end.close()


def read_all(transport, client_end, reactor, expected: int) -> bytes:
    """Read from the client while letting the transport flush what it queued."""
    client_end.settimeout(0.2)
    got = b""
    for _ in range(10_000):
        if len(got) >= expected:
            break
        if reactor.writers:
            transport.doWrite()
        try:
            got += client_end.recv(65536)
        except TimeoutError:
            pass
    return got


def test_a_frame_the_kernel_takes_whole_is_sent_at_once(tcp_pair):
    from twisted.internet.tcp import Server

    transport, client_end, reactor = tcp_pair
    frame = wire.text_frame("<div id='status'></div>")
    assert wire.write_now(transport, frame, Server) == 0
    assert reactor.writers == []  # no registration with the reactor: the point of the shortcut
    assert read_all(transport, client_end, reactor, len(frame)) == frame


def test_a_partial_write_queues_exactly_the_rest(tcp_pair):
    """The kernel takes part of a large frame: the rest is queued with Twisted, and the client receives the frame
    exactly once, in order, followed by the next one."""
    from twisted.internet.tcp import Server

    transport, client_end, reactor = tcp_pair
    frame = wire.text_frame("é" * 150_000)
    queued = wire.write_now(transport, frame, Server)
    assert 0 < queued < len(frame)  # partly sent now, the rest queued
    assert reactor.writers == [transport]
    second = wire.text_frame("<p>next</p>")
    assert wire.write_now(transport, second, Server) == queued + len(second)  # queued behind, never interleaved
    got = read_all(transport, client_end, reactor, len(frame) + len(second))
    assert got == frame + second
    assert parse(got).data.decode() == "é" * 150_000


def daphne_protocol_on(transport):
    from daphne.ws_protocol import WebSocketProtocol

    protocol = WebSocketProtocol()
    protocol.transport = transport
    protocol.state = protocol.STATE_OPEN
    protocol._perMessageCompress = None
    return protocol


async def handle_reply(protocol, message):  # the shape of daphne.server.Server.handle_reply
    return None


def test_direct_writer_on_a_daphne_socket_stops_when_it_closes(tcp_pair):
    transport, client_end, reactor = tcp_pair
    protocol = daphne_protocol_on(transport)
    write = wire.direct_writer(functools.partial(handle_reply, protocol))
    assert write is not None and wire.check_internals(protocol) == "direct"
    frame = wire.text_frame("<div id='status'></div>")
    assert write(frame) == 0
    protocol.state = protocol.STATE_CLOSING
    assert write(frame) == -1
    assert read_all(transport, client_end, reactor, len(frame)) == frame


def test_direct_writer_through_channels_session_middleware(tcp_pair):
    """The moderators' socket is behind AuthMiddlewareStack, whose session wrapper replaces daphne's send: the
    writer (and the incoming limit) must still reach daphne's protocol, or every snapshot of the console above
    LIVE_MAX_FRAME_BYTES is refused by autobahn and the console reconnects forever."""
    from channels.sessions import InstanceSessionWrapper

    transport, client_end, reactor = tcp_pair
    protocol = daphne_protocol_on(transport)
    wrapper = InstanceSessionWrapper.__new__(InstanceSessionWrapper)
    wrapper.real_send = functools.partial(handle_reply, protocol)
    assert wire.daphne_protocol(wrapper.send) is protocol
    write = wire.direct_writer(wrapper.send)
    frame = wire.text_frame("é" * 20_000)  # well above the 8 KiB incoming limit
    assert write is not None and write(frame) >= 0
    assert read_all(transport, client_end, reactor, len(frame)) == frame


def test_when_an_internal_is_gone_it_says_so_and_falls_back_to_prepared_messages(caplog):
    """A transport without Twisted's private buffers (as after an upgrade that renamed them): logged as an error,
    and broadcasts go through autobahn's public sendPreparedMessage with the same bytes."""
    from daphne.ws_protocol import WebSocketProtocol

    class BareTransport:
        def __init__(self) -> None:
            self.written: list[bytes] = []

        def write(self, data: bytes) -> None:
            self.written.append(data)

    class Protocol(WebSocketProtocol):  # its own class: the check is cached per protocol and transport class
        def sendData(self, data, sync=False, chopsize=None):
            self.transport.write(data)

    protocol = Protocol()
    protocol.transport = BareTransport()
    protocol.state = protocol.STATE_OPEN
    protocol._perMessageCompress = None
    with caplog.at_level("ERROR", logger="live.wire"):
        write = wire.direct_writer(functools.partial(handle_reply, protocol))
    assert write is not None
    assert any("sendPreparedMessage" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)
    frame = wire.text_frame("<div id='status'>é</div>")
    assert write(frame) == 0
    assert protocol.transport.written == [frame]


def test_a_write_to_a_connection_the_client_reset_says_so(tcp_pair):
    """The client went away (reset): the write reports the socket gone (-1) instead of queueing for it."""
    import socket
    import struct as _struct

    from twisted.internet.tcp import Server

    transport, client_end, _reactor = tcp_pair
    client_end.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _struct.pack("ii", 1, 0))  # close sends a RST
    client_end.close()
    frame = wire.text_frame("<div id='status'></div>")
    results = [wire.write_now(transport, frame, Server) for _ in range(3)]  # the first send may still be taken
    assert results[-1] == -1
