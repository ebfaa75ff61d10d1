"""Voters who hold the citizen page's websocket, as phones in a hall do, and vote over it or over HTTP.

Thousands of sockets on the load core: each is a bare asyncio Protocol (a hand-made handshake and client frames,
no websocket library), and what the server pushes is not parsed, only searched for this voter's answer, so the
load generator keeps up with every broadcast reaching every voter. Transport "socket": one write frame under a
fresh client key (a newcomer), answered on the socket; "http": the same voters post the vote as today's HTTP
voters (bench/load.py), their sockets only listening.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import time
import uuid

from load import csrf_cookie, post_form, raise_nofile

# The write frame a form post's path stands for (…/p/<id>/support, …/q/<id>/upvote; without a path, the vote).
WRITE_PATHS = [(re.compile(r"/p/(\d+)/support$"), "proposal_support"), (re.compile(r"/q/(\d+)/upvote$"), "upvote")]
ANSWER = re.compile(rb'\{"type": "answer", "n": (\d+), "status": (\d+)')


class VoterSocket(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.opened = asyncio.get_running_loop().create_future()
        self.answer: asyncio.Future | None = None
        self.head = b""
        self.tail = b""  # the end of the last chunk: an answer split across two reads is still found
        self.received = 0

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.received += len(data)
        if not self.opened.done():
            self.head += data
            if b"\r\n\r\n" in self.head:
                ok = self.head.startswith(b"HTTP/1.1 101")
                self.opened.set_result(ok)
                data = self.head.partition(b"\r\n\r\n")[2]
            else:
                return
        if self.answer is not None and not self.answer.done():
            m = ANSWER.search(self.tail + data)
            if m:
                self.answer.set_result(int(m.group(2)))
        self.tail = data[-64:]

    def connection_lost(self, exc) -> None:  # type: ignore[override]
        if not self.opened.done():
            self.opened.set_result(False)
        if self.answer is not None and not self.answer.done():
            self.answer.set_result(0)

    def send_text(self, text: str) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        n = len(payload)
        head = bytes([0x81, 0x80 | n]) if n < 126 else bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big")
        assert self.transport is not None
        self.transport.write(head + mask + masked)


async def open_socket(port: int, code: str) -> VoterSocket | None:
    loop = asyncio.get_running_loop()
    try:
        _transport, sock = await asyncio.wait_for(loop.create_connection(VoterSocket, "127.0.0.1", port), timeout=30)
    except Exception:
        return None
    key = base64.b64encode(os.urandom(16)).decode()
    assert sock.transport is not None
    sock.transport.write(
        (
            f"GET /ws/d/{code}/?lang=fr HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: http://127.0.0.1:{port}\r\n\r\n"
        ).encode()
    )
    try:
        ok = await asyncio.wait_for(sock.opened, timeout=30)
    except Exception:
        ok = False
    if not ok:
        sock.transport.close()
        return None
    return sock


def write_for(path: str | None, poll_id: int, option: int) -> dict:
    if path is None:
        return {"action": "vote", "target": poll_id, "option": option}
    for pattern, action in WRITE_PATHS:
        m = pattern.search(path)
        if m:
            return {"action": action, "target": int(m.group(1))}
    raise ValueError(f"no write frame for {path}")


def socket_voter_worker(
    wid, ports, code, poll_id, option_ids, count, first, step, rate, ready_q, start_q, result_q, paths, transport
) -> None:
    """As load.voter_worker (voters first, first+step…, one vote each at its slot), every voter holding a socket;
    the vote goes over `transport` ("socket" or "http"). The sockets close on a second message on start_q."""
    raise_nofile()
    try:
        asyncio.run(
            _voters(
                wid,
                ports,
                code,
                poll_id,
                option_ids,
                count,
                first,
                step,
                rate,
                ready_q,
                start_q,
                result_q,
                transport,
                paths,
            )
        )
    except Exception as exc:
        result_q.put((wid, {"error": repr(exc), "votes": []}))


async def _voters(
    wid, ports, code, poll_id, option_ids, count, first, step, rate, ready_q, start_q, result_q, transport, paths
):
    indices = list(range(first, count, step))
    sockets: dict[int, VoterSocket] = {}
    tokens: dict[int, str] = {}
    sem = asyncio.Semaphore(64)
    prep_errors = 0

    async def prep(i: int) -> None:
        nonlocal prep_errors
        port = ports[i % len(ports)]
        async with sem:
            sock = await open_socket(port, code)
            if sock is None:
                prep_errors += 1
                return
            sockets[i] = sock
            if transport == "http":  # the form post needs the CSRF cookie, as today's HTTP voters get it
                token = await csrf_cookie(port, code)
                if token is None:
                    prep_errors += 1
                else:
                    tokens[i] = token

    await asyncio.gather(*(prep(i) for i in indices))
    await asyncio.sleep(1.0)  # the snapshots are in
    ready_q.put((wid, len(sockets) if transport == "socket" else len(tokens), prep_errors))
    loop = asyncio.get_running_loop()
    t0 = await loop.run_in_executor(None, start_q.get)
    votes: list[tuple] = []

    async def vote(i: int) -> None:
        delay = t0 + i / rate - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        sock = sockets.get(i)
        option = option_ids[i % len(option_ids)] if option_ids else 0
        path = paths[i % len(paths)] if paths else None
        if sock is None or (transport == "http" and i not in tokens):
            votes.append((i, time.time(), time.time(), -1))
            return
        sent = time.time()
        if transport == "socket":
            sock.answer = loop.create_future()
            frame = {"type": "write", "n": 1, **write_for(path, poll_id, option)}
            sock.send_text(json.dumps({**frame, "key": uuid.uuid4().hex}))
            try:
                status = await asyncio.wait_for(sock.answer, timeout=60)
            except Exception:
                status = 0
        else:
            if path is None:
                path, body = f"/d/{code}/poll/{poll_id}/vote", f"option={option}"
            else:
                body = ""
            status = await post_form(ports[i % len(ports)], path, body, tokens[i])
        votes.append((i, sent, time.time(), status))

    await asyncio.gather(*(vote(i) for i in indices))
    await asyncio.sleep(3.0)  # the last results reach every voter
    received = sum(s.received for s in sockets.values())
    result_q.put((wid, {"votes": votes, "prep_errors": prep_errors, "bytes_received": received}))
    # The phones stay in the hall until the orchestrator has read the server's CPU: closing thousands of sockets
    # is not the votes' cost.
    await loop.run_in_executor(None, start_q.get)
    for sock in sockets.values():
        if sock.transport is not None:
            sock.transport.close()
    return None
