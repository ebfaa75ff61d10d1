"""The "rolling" scenario: two daphne replicas behind Debian's HAProxy (deploy/haproxy.cfg, as docker-compose runs
it), 1,000 pages following a poll, citizens voting at 200 votes/s, and a rolling restart of both replicas in the
middle of the burst (drained through HAProxy's runtime API, SIGTERM, started again, made ready), as README
(Operations) says to do it. Measured: votes acknowledged = votes stored, none doubled, every page ends on the
database's count, and how long pages took to converge after the last vote.

Its own redis-server on a spare port and its own PostgreSQL database (`<bench database>_rolling`): never the shared
services' state.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deploy.cluster import COUNTS, SETUP, Cluster, start_cluster  # noqa: E402


def fresh_database(bench_db_url: str) -> str:
    import psycopg

    parts = urlsplit(bench_db_url)
    name = parts.path.lstrip("/") + "_rolling"
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(parts._replace(path="/" + name))
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    return url


# --- clients ----------------------------------------------------------------------------------------------------------
async def follow(url: str, origin: str, pattern: re.Pattern, state: dict, stop: asyncio.Event) -> None:
    """A page: reconnects after a close (with jitter), keeps the newest count of the poll's results."""
    from websockets.asyncio.client import connect

    while not stop.is_set():
        try:
            async with connect(url, origin=origin, open_timeout=20, ping_interval=None, compression=None) as ws:
                state["connects"] += 1
                while not stop.is_set():
                    try:
                        text = await asyncio.wait_for(ws.recv(), timeout=0.5)
                    except asyncio.TimeoutError:
                        continue
                    for m in pattern.finditer(text):
                        version = int(m.group(1))
                        votes = re.search(r"(\d+) votes?\b", text[m.end() : m.end() + 4000])
                        if version >= state["version"]:
                            state["version"], state["count"] = version, int(votes.group(1)) if votes else 0
        except Exception:
            pass
        if not stop.is_set():
            await asyncio.sleep(0.3 + random.random() * 1.2)


def citizen_session(base: str, code: str) -> tuple[object, str]:
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/d/{code}/", timeout=30).read()
    return opener, next(c.value for c in jar if c.name == "csrftoken")


def post_vote(base: str, code: str, poll: int, option: int, session: tuple[object, str], key: str) -> int:
    import urllib.error
    import urllib.parse

    opener, csrf = session
    req = urllib.request.Request(
        f"{base}/d/{code}/poll/{poll}/vote",
        data=urllib.parse.urlencode({"option": option}).encode(),
        headers={"X-CSRFToken": csrf, "HX-Request": "true", "X-Client-Key": key, "Referer": base + "/"},
    )
    try:
        with opener.open(req, timeout=15) as r:  # type: ignore[attr-defined]
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


async def run(cluster: Cluster, pages: int, voters: int, rate: float) -> dict:
    data = json.loads(cluster.shell(SETUP).strip().splitlines()[-1])
    code, poll, options = data["code"], data["poll"], data["options"]
    ws_url = cluster.base.replace("http://", "ws://") + f"/ws/d/{code}/?lang=en"
    pattern = re.compile(rf'id="poll-{poll}-results"[^>]*data-v="(\d+)"')
    stop = asyncio.Event()
    states = [{"connects": 0, "version": -1, "count": None} for _ in range(pages)]
    following = []
    for i, state in enumerate(states):
        following.append(asyncio.create_task(follow(ws_url, cluster.base, pattern, state, stop)))
        if i % 50 == 49:
            await asyncio.sleep(0.1)  # a hall arriving, not one instant
    deadline = time.monotonic() + 60
    while sum(s["connects"] > 0 for s in states) < pages and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    connected = sum(s["connects"] > 0 for s in states)
    sessions = await asyncio.gather(*(asyncio.to_thread(citizen_session, cluster.base, code) for _ in range(voters)))
    acknowledged = retries = 0
    sem = asyncio.Semaphore(50)

    async def vote(i: int) -> bool:
        nonlocal acknowledged, retries
        await asyncio.sleep(i / rate)
        key = f"rolling-{i}-{random.random()}"
        async with sem:
            for attempt in range(40):  # like a phone: retried until acknowledged (same session, same client key)
                status = await asyncio.to_thread(post_vote, cluster.base, code, poll, options[i % 2], sessions[i], key)
                if status == 200:
                    acknowledged += 1
                    return True
                retries += 1
                await asyncio.sleep(0.3)
        return False

    burst = asyncio.gather(*(vote(i) for i in range(voters)))
    await asyncio.sleep(voters / rate / 4)  # a quarter into the burst
    restart_seconds = await asyncio.to_thread(cluster.rolling_restart)
    await burst
    last_vote = time.monotonic()
    counts = json.loads(cluster.shell(COUNTS.format(poll=poll)).strip().splitlines()[-1])
    while any(s["count"] != counts["total"] for s in states) and time.monotonic() - last_vote < 30:
        await asyncio.sleep(0.1)
    converged_after = time.monotonic() - last_vote
    behind = sum(s["count"] != counts["total"] for s in states)
    stop.set()
    await asyncio.gather(*following, return_exceptions=True)
    return {
        "pages": pages,
        "pages_connected": connected,
        "voters": voters,
        "vote_rate": rate,
        "acknowledged": acknowledged,
        "stored": counts["total"],
        "doubled": counts["doubled"],
        "retries": retries,
        "restart_seconds": [round(t, 1) for t in restart_seconds],
        "reconnects": sum(s["connects"] for s in states) - connected,
        "pages_behind": behind,
        "converged_after_s": round(converged_after, 1),
    }


def scenario_rolling(args, bench_db_url: str, logdir: Path, log, row) -> dict | None:
    if shutil.which("haproxy") is None or shutil.which("redis-server") is None:
        row("rolling", "skipped", "needs haproxy and redis-server", "")
        return None
    pages, voters, rate = (200, 200, 100.0) if args.quick else (1000, 2000, 200.0)
    db_url = fresh_database(bench_db_url)
    tmp = logdir / "rolling"
    tmp.mkdir(parents=True, exist_ok=True)
    cluster = start_cluster(
        db_url,
        tmp,
        RATE_LIMITS="participant_per_address=100000/60",  # every bench citizen comes from 127.0.0.1
        LIVE_CONNECT_BURST="100000",
        LIVE_CONNECT_PER_SECOND="100000",
    )
    try:
        log(f"rolling: 2 replicas behind HAProxy at {cluster.base}; {pages} pages, {voters} votes at {rate:.0f}/s")
        r = asyncio.run(run(cluster, pages, voters, rate))
    finally:
        cluster.stop()
    ok = r["acknowledged"] == r["stored"] == voters and r["doubled"] == 0
    row(
        "rolling",
        "votes acknowledged / stored / doubled",
        f"{r['acknowledged']} / {r['stored']} / {r['doubled']}",
        f"= {voters} / = {voters} / 0",
        ok,
    )
    row(
        "rolling",
        "pages connected / reconnects / behind at the end",
        f"{r['pages_connected']} / {r['reconnects']} / {r['pages_behind']}",
        f"{pages} / – / 0",
        r["pages_connected"] == pages and r["pages_behind"] == 0,
    )
    row(
        "rolling",
        "converged after the last vote (s); each replica drain→ready (s)",
        f"{r['converged_after_s']}; {', '.join(map(str, r['restart_seconds']))}",
        "≤ 2 s",
        r["converged_after_s"] <= 2,
    )
    return r
