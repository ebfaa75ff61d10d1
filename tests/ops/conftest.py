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
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.e2e.conftest import ROOT, free_port

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

DAPHNE = str(Path(sys.executable).with_name("daphne"))
SECRET = "ops-tests-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except Exception:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} not ready within {timeout}s")
        time.sleep(0.1)


class OwnRedis:
    """A redis-server of this test only, on a spare port; restartable on the same port."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.tmp = tmp
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        import redis

        wait_until(lambda: redis.Redis(port=self.port, socket_timeout=0.5).ping(), 10, "redis-server")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@dataclass
class Cluster:
    base: str  # HAProxy's address: what clients use
    env: dict[str, str]
    redis: OwnRedis
    tmp: Path
    servers: dict[str, subprocess.Popen] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    haproxy: subprocess.Popen | None = None
    admin_socket: str = ""

    def start_server(self, name: str) -> None:
        log = (self.tmp / f"{name}.log").open("ab")
        self.servers[name] = subprocess.Popen(
            [DAPHNE, "-b", "127.0.0.1", "-p", str(self.ports[name]), "hub.asgi:application"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(
            lambda: urllib.request.urlopen(f"http://127.0.0.1:{self.ports[name]}/healthz", timeout=2).status == 200,
            30,
            f"daphne {name}",
        )

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.servers[name]
        os.killpg(proc.pid, sig)
        proc.wait(30)

    def admin(self, command: str) -> str:
        import socket

        with socket.socket(socket.AF_UNIX) as s:
            s.connect(self.admin_socket)
            s.sendall(command.encode() + b"\n")
            return s.recv(65536).decode()

    def shell(self, code: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            raise RuntimeError(result.stderr[-2000:])
        return result.stdout

    def stop(self) -> None:
        for proc in [*self.servers.values(), self.haproxy]:
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


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
    redis = OwnRedis(tmp_path)
    redis.start()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        DATABASE_URL=ops_database,
        REDIS_URL=redis.url,
        REDIS_PREFIX=f"ops{redis.port}",
        DEBUG="1",
        SECRET_KEY=SECRET,
        PYTHONUNBUFFERED="1",
        TRUSTED_PROXIES="127.0.0.1",
        LIVE_DRAIN_SECONDS="2",
        DB_POOL_TIMEOUT="3",
    )
    listen = free_port()
    c = Cluster(
        base=f"http://127.0.0.1:{listen}",
        env=env,
        redis=redis,
        tmp=tmp_path,
        ports={"web1": free_port(), "web2": free_port()},
        admin_socket=str(tmp_path / "haproxy.sock"),
    )
    try:
        for name in c.ports:
            c.start_server(name)
        henv = {
            **os.environ,
            "HUB_LISTEN": f"127.0.0.1:{listen}",
            "HUB_WEB1": f"127.0.0.1:{c.ports['web1']}",
            "HUB_WEB2": f"127.0.0.1:{c.ports['web2']}",
            "HUB_ADMIN_SOCKET": c.admin_socket,
        }
        c.haproxy = subprocess.Popen(
            ["haproxy", "-db", "-f", str(ROOT / "deploy" / "haproxy.cfg")],
            env=henv,
            stdout=(tmp_path / "haproxy.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(lambda: urllib.request.urlopen(c.base + "/healthz", timeout=2).status == 200, 20, "haproxy")
        yield c
    finally:
        c.stop()
        redis.stop()


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


SETUP = """
from tests.factories import make_debate, make_poll
import json
d = make_debate(title="Ops", word_filter="")
p = make_poll(d)
print(json.dumps({"code": d.code, "poll": p.pk, "options": list(p.options.values_list("pk", flat=True))}))
"""

COUNTS = """
from debates.models import Vote
from django.db.models import Count
import json
votes = Vote.objects.filter(poll_id={poll})
print(json.dumps({{"total": votes.count(),
                  "doubled": votes.values("participant").annotate(n=Count("id")).filter(n__gt=1).count()}}))
"""
