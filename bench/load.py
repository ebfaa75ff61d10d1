"""Load generators, each run in its own process (pinned by the caller): websocket clients and HTTP voters.

Clients parse as little as possible: the status fragment's data-v (the write's timestamp, µs since the epoch),
the count in the poll results fragment (id="poll-<id>-results") and the title of an official proposal's news
(id="proposal-news").
"""

from __future__ import annotations

import asyncio
import re
import resource
import time

STATUS_V = re.compile(r'id="status"[^>]*data-v="(\d+)"')
COUNT = re.compile(r'<p class="muted small">\s*(\d+)')
NEWS_TITLE = re.compile(r'class="news-title">([^<]*)<')


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


# --- websocket clients ----------------------------------------------------------------------------------------------
def client_worker(
    wid: int,
    urls: list[str],
    n: int,
    rate: float,
    poll_id: int,
    ready_q,
    stop_evt,
    result_q,
    max_seconds: float,
) -> None:
    raise_nofile()
    try:
        result = asyncio.run(_clients(urls, n, rate, poll_id, ready_q, wid, stop_evt, max_seconds))
    except Exception as exc:  # report, never hang the orchestrator
        result = {"error": repr(exc), "failed": n, "conns": []}
    result_q.put((wid, result))


async def _clients(urls, n, rate, poll_id, ready_q, wid, stop_evt, max_seconds):
    from websockets.asyncio.client import connect

    marker = f'id="poll-{poll_id}-results"'
    conns: list[dict] = []
    failed: list[str] = []
    connect_ms: list[float] = []
    start = time.monotonic()

    async def one(i: int) -> None:
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        rec = {"status": {}, "polls": [], "news": [], "closed": False}
        t0 = time.monotonic()
        url = urls[i % len(urls)]
        try:
            ws = await connect(
                url,
                # the page was served by the process it connects to (the live sockets check the Origin)
                origin="http://" + url.split("/")[2],
                compression=None,
                open_timeout=30,
                ping_interval=None,
                max_size=2**20,
                close_timeout=1,
            )
        except Exception as exc:
            failed.append(type(exc).__name__ + ": " + str(exc)[:80])
            return
        connect_ms.append((time.monotonic() - t0) * 1000)
        conns.append(rec)
        status, polls = rec["status"], rec["polls"]
        try:
            async for msg in ws:
                t = time.time()
                if 'id="status"' in msg:
                    m = STATUS_V.search(msg)
                    if m:
                        status[int(m.group(1))] = t
                if marker in msg:
                    tail = msg[msg.index(marker) :]
                    m = COUNT.search(tail)
                    if m:
                        polls.append((t, int(m.group(1))))
                if 'id="proposal-news"' in msg:
                    rec["news"] += [(t, title) for title in NEWS_TITLE.findall(msg)]
        except Exception:
            pass
        rec["closed"] = True

    tasks = [asyncio.create_task(one(i)) for i in range(n)]
    deadline = time.monotonic() + n / rate + 40
    while len(conns) + len(failed) < n and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    ready_q.put((wid, len(conns), len(failed)))
    end = time.monotonic() + max_seconds
    while not stop_evt.is_set() and time.monotonic() < end:
        await asyncio.sleep(0.05)
    result = {
        "conns": [dict(r) for r in conns],
        "failed": len(failed) + (n - len(conns) - len(failed)),
        "fail_samples": failed[:5],
        "connect_ms": connect_ms,
    }
    for t in tasks:
        t.cancel()
    return result


# --- HTTP voters ----------------------------------------------------------------------------------------------------
async def _http(port: int, raw: bytes, timeout: float = 30.0) -> tuple[int, bytes]:
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
    try:
        writer.write(raw)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(-1), timeout)
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    return status, head


async def csrf_cookie(port: int, code: str) -> str | None:
    """A voter in a burst already has the page open: their CSRF cookie, from the light …/me (None: it failed)."""
    try:
        raw = f"GET /d/{code}/me HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n".encode()
        status, head = await _http(port, raw)
    except Exception:
        return None
    m = re.search(rb"csrftoken=([A-Za-z0-9]+)", head)
    return m.group(1).decode() if status == 200 and m else None


async def post_form(port: int, path: str, body: str, csrf: str) -> int:
    """An htmx form post (a vote, an upvote): its status, 0 when it got no answer."""
    raw = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Cookie: csrftoken={csrf}\r\nX-CSRFToken: {csrf}\r\nHX-Request: true\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        f"Connection: close\r\n\r\n{body}"
    ).encode()
    try:
        status, _head = await _http(port, raw)
    except Exception:
        return 0
    return status


def voter_worker(
    wid: int,
    ports: list[int],
    code: str,
    poll_id: int,
    option_ids: list[int],
    count: int,
    first: int,
    step: int,
    rate: float,
    ready_q,
    start_q,
    result_q,
    paths: list[str] | None = None,
) -> None:
    """Voters first, step, first+2*step…; each GETs its cookie (/d/<code>/me), then votes once at its slot (or, with
    paths, posts an empty form to paths[i % len(paths)]: an upvote, a support)."""
    raise_nofile()
    try:
        result = asyncio.run(
            _voters(wid, ports, code, poll_id, option_ids, count, first, step, rate, ready_q, start_q, paths)
        )
    except Exception as exc:
        result = {"error": repr(exc), "votes": []}
    result_q.put((wid, result))


async def _voters(wid, ports, code, poll_id, option_ids, count, first, step, rate, ready_q, start_q, paths):
    indices = list(range(first, count, step))
    tokens: dict[int, str] = {}
    sem = asyncio.Semaphore(16)
    prep_errors = 0

    async def prep(i: int) -> None:
        nonlocal prep_errors
        async with sem:
            token = await csrf_cookie(ports[i % len(ports)], code)
            if token is None:
                prep_errors += 1
            else:
                tokens[i] = token

    await asyncio.gather(*(prep(i) for i in indices))
    ready_q.put((wid, len(tokens), prep_errors))
    loop = asyncio.get_running_loop()
    t0 = await loop.run_in_executor(None, start_q.get)
    votes: list[tuple] = []

    async def vote(i: int) -> None:
        delay = t0 + i / rate - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        port = ports[i % len(ports)]
        tok = tokens.get(i)
        if tok is None:
            votes.append((i, time.time(), time.time(), -1))
            return
        if not paths:
            path, body = f"/d/{code}/poll/{poll_id}/vote", f"option={option_ids[i % len(option_ids)]}"
        else:
            path, body = paths[i % len(paths)], ""
        sent = time.time()
        status = await post_form(port, path, body, tok)
        votes.append((i, sent, time.time(), status))

    await asyncio.gather(*(vote(i) for i in indices))
    return {"votes": votes, "prep_errors": prep_errors}
