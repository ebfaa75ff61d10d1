"""Fault injection on a small real cluster: two daphne processes behind Debian's HAProxy (deploy/haproxy.cfg, as
docker-compose runs it), each test with its own redis-server on a spare port, its own PostgreSQL database and its
own processes (never the shared services). Only in the PostgreSQL + Redis pass (DATABASE_URL=postgres://…,
REDIS_URL set); haproxy and redis-server must be installed (.ci/run installs haproxy).
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from deploy.cluster import COUNTS, SETUP, Cluster, start_cluster  # noqa: F401  (COUNTS, SETUP: for the tests)
from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e

if not (os.environ.get("DATABASE_URL", "").startswith("postgres") and os.environ.get("REDIS_URL")):
    pytest.skip("fault injection runs in the PostgreSQL + Redis pass only", allow_module_level=True)
if os.environ.get("OPS_TESTS") != "1":  # .ci/run sets it in its PostgreSQL + Redis pass
    pytest.skip("fault injection runs with OPS_TESTS=1 (.ci/run's PostgreSQL + Redis pass)", allow_module_level=True)
for tool in ("haproxy", "redis-server"):
    if shutil.which(tool) is None:
        if os.environ.get("REQUIRE_BROWSER") == "1":  # CI: everything must run
            pytest.fail(f"tests/ops needs {tool} (apt-get install -y {tool})", pytrace=False)
        pytest.skip(f"tests/ops needs {tool} (apt-get install -y {tool})", allow_module_level=True)


@pytest.fixture(scope="session")
def ops_template() -> Iterator[tuple[str, str]]:
    """A PostgreSQL database migrated once, the template of each test's own database."""
    import psycopg

    parts = urlsplit(os.environ["DATABASE_URL"])
    name = parts.path.lstrip("/") + "_ops_template"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": urlunsplit(parts._replace(path="/" + name))}
    env.pop("REDIS_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=300
    )
    yield admin, name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def ops_database(ops_template: tuple[str, str]) -> Iterator[str]:
    import psycopg

    admin, template = ops_template
    name = template.replace("_template", "_test")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield urlunsplit(urlsplit(admin)._replace(path="/" + name))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def cluster(tmp_path: Path, ops_database: str) -> Iterator[Cluster]:
    c = start_cluster(ops_database, tmp_path)
    try:
        yield c
    finally:
        c.stop()


# --- clients ------------------------------------------------------------------------------------------------------
class Page:
    """A citizen page's socket as live.js keeps it: reconnects after a close (1–2 s of jitter, less here), takes
    the snapshot, keeps the newest fragment of the poll's results (data-v)."""

    def __init__(self, url: str, origin: str, poll: int) -> None:
        self.url, self.origin = url, origin
        self.pattern = re.compile(rf'id="poll-{poll}-results"[^>]*data-v="(\d+)"')
        self.version = -1
        self.count: int | None = None
        self.connects = 0
        self.closes: list[int | None] = []

    def feed(self, text: str) -> None:
        for m in self.pattern.finditer(text):
            version = int(m.group(1))
            if version >= self.version:
                votes = re.search(r"(\d+) votes?\b", text[m.end() : m.end() + 4000])
                self.version, self.count = version, int(votes.group(1)) if votes else 0

    async def run(self, stop: asyncio.Event) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed

        while not stop.is_set():
            try:
                async with connect(self.url, origin=self.origin, open_timeout=5) as ws:
                    self.connects += 1
                    while not stop.is_set():
                        try:
                            self.feed(await asyncio.wait_for(ws.recv(), timeout=0.5))
                        except asyncio.TimeoutError:
                            continue
            except ConnectionClosed as exc:
                self.closes.append(exc.rcvd.code if exc.rcvd else None)
            except (OSError, asyncio.TimeoutError, Exception):
                self.closes.append(None)
            if not stop.is_set():
                await asyncio.sleep(0.2 + random.random() * 0.4)
