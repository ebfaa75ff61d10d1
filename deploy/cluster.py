"""A small real cluster on this machine, as docker-compose runs it: two daphne replicas behind Debian's HAProxy
(deploy/haproxy.cfg), with a redis-server of its own on a spare port and a PostgreSQL database given by the caller.
Used by the fault-injection tests (tests/ops) and the benchmark's rolling restart (bench/rolling.py); never the
machine's shared services' state.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DAPHNE = str(Path(sys.executable).with_name("daphne"))
SECRET = "cluster-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-0123456789"

# Run with `Cluster.shell`: a debate with an open poll, then the stored votes of that poll.
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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check: Callable[[], object], timeout: float, what: str) -> None:
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


def healthy(base: str) -> bool:
    with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
        return r.status == 200


def manage_shell(env: dict[str, str], code: str) -> str:
    """`manage.py shell -c code` with this environment (its database); its output, or RuntimeError with stderr."""
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"shell failed: {result.stderr[-2000:]}")
    return result.stdout


class OwnRedis:
    """A redis-server of this cluster only, on a spare port; restartable on the same port."""

    def __init__(self, tmp: Path) -> None:
        self.port = free_port()
        self.tmp = tmp
        self.proc: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
            + ["--dir", str(self.tmp)],
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
        wait_until(lambda: healthy(f"http://127.0.0.1:{self.ports[name]}"), 30, f"daphne {name}")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.servers[name]
        os.killpg(proc.pid, sig)
        proc.wait(30)

    def admin(self, command: str) -> str:
        """One command of HAProxy's runtime API (its admin socket)."""
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(self.admin_socket)
            s.sendall(command.encode() + b"\n")
            return s.recv(65536).decode()

    def status(self, name: str) -> str:
        """HAProxy's status of a replica ("UP", "DOWN", "DRAIN", "MAINT"…), from `show stat` (CSV; `show servers
        state` gives numbers only)."""
        lines = self.admin("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        for line in lines[1:]:
            fields = line.split(",")
            if fields[:2] == ["hub", name]:
                return fields[header.index("status")]
        return ""

    def rolling_restart(self) -> list[float]:
        """As README (Operations) says: one replica at a time, drained in HAProxy, SIGTERM (it drains itself and
        exits), started again, made ready. Returns the seconds each replica took, drain to UP."""
        took = []
        for name in ("web1", "web2"):
            started = time.monotonic()
            assert self.admin(f"set server hub/{name} state drain").strip() == ""
            self.kill(name, signal.SIGTERM)  # returns once the process has drained and exited
            self.start_server(name)
            assert self.admin(f"set server hub/{name} state ready").strip() == ""
            wait_until(lambda n=name: self.status(n) == "UP", 15, f"{name} UP in HAProxy")
            took.append(time.monotonic() - started)
        return took

    def shell(self, code: str) -> str:
        """Run Python (Django set up) against the cluster's database; its output."""
        return manage_shell(self.env, code)

    def stop(self) -> None:
        for proc in [*self.servers.values(), self.haproxy]:
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        self.redis.stop()


def start_cluster(database_url: str, tmp: Path, **env: str) -> Cluster:
    """Its redis-server, two replicas on the given database (already migrated), and HAProxy in front, all up.
    `env` adds to (or overrides) the replicas' environment. Stop it with `Cluster.stop()`."""
    redis = OwnRedis(tmp)
    redis.start()
    server_env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    server_env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis.url,
        REDIS_PREFIX=f"cluster{redis.port}",
        DEBUG="1",  # plain HTTP on 127.0.0.1 (DEBUG=0 would redirect to HTTPS)
        SECRET_KEY=SECRET,
        PYTHONUNBUFFERED="1",
        TRUSTED_PROXIES="127.0.0.1",
        LIVE_DRAIN_SECONDS="2",
        DB_POOL_TIMEOUT="3",
    )
    server_env.update(env)
    listen = free_port()
    cluster = Cluster(
        base=f"http://127.0.0.1:{listen}",
        env=server_env,
        redis=redis,
        tmp=tmp,
        ports={"web1": free_port(), "web2": free_port()},
        admin_socket=str(tmp / "haproxy.sock"),
    )
    try:
        for name in cluster.ports:
            cluster.start_server(name)
        haproxy_env = {
            **os.environ,
            "HUB_LISTEN": f"127.0.0.1:{listen}",
            "HUB_WEB1": f"127.0.0.1:{cluster.ports['web1']}",
            "HUB_WEB2": f"127.0.0.1:{cluster.ports['web2']}",
            "HUB_ADMIN_SOCKET": cluster.admin_socket,
        }
        cluster.haproxy = subprocess.Popen(
            ["haproxy", "-db", "-f", str(ROOT / "deploy" / "haproxy.cfg")],
            env=haproxy_env,
            stdout=(tmp / "haproxy.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(lambda: healthy(cluster.base), 20, "haproxy")
    except BaseException:
        cluster.stop()
        raise
    return cluster
