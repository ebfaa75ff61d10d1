"""`make bench`: start the real server, load it from another core, print one table, write bench/results/latest.json.

The server (daphne on bench.asgi = hub.asgi + one bench-only write route, see bench/asgi.py) is pinned to core 0
with taskset, the load (websocket clients, HTTP voters, one asyncio loop per process) to core 1, so CPU figures
are per server core. Everything talks to 127.0.0.1; every loop is bounded in count and time.

    .venv/bin/python bench/run.py                         # full run (Postgres hub_bench + Redis)
    .venv/bin/python bench/run.py --quick --sqlite        # 200 clients, a few seconds, embedded (no Redis)
    .venv/bin/python bench/run.py --scenarios fanout,ceiling

Environment: BENCH_DATABASE_URL (default: DATABASE_URL's server with database hub_bench, else
postgres://postgres@127.0.0.1:5432/hub_bench), BENCH_REDIS_URL (default REDIS_URL, else
redis://127.0.0.1:6379/3), BENCH_PORT (first port, default 8300), BENCH_SERVER=uvicorn (serve with uvicorn instead
of daphne), BENCH_PROFILE=1 (run each server under cProfile; profiles land in bench/results/logs/*.prof; the
figures are then slower and only good for comparing shares), BENCH_LOOP_PROFILE=1 (the content scenario also
reports the event loop's CPU per callback per event, bench/loop_profile.py).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Any
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import content  # noqa: E402
import load  # noqa: E402
import socket_voters  # noqa: E402
import rolling  # noqa: E402
import supports  # noqa: E402

PY = sys.executable
DAPHNE = str(Path(PY).with_name("daphne"))
TICK = os.sysconf("SC_CLK_TCK")
SERVER_CORE, LOAD_CORE = "0", "1" if (os.cpu_count() or 1) > 1 else "0"
ASGI_SERVER = os.environ.get("BENCH_SERVER", "daphne")  # daphne (default, as `make run`) or uvicorn
PROFILE = os.environ.get("BENCH_PROFILE") == "1"
ALL_SCENARIOS = [
    "fanout",
    "ceiling",
    "embedded",
    "votes",
    "socket_votes",
    "upvotes",
    "supports",
    "storm",
    "two",
    "content",
    "rolling",
]
ROWS: list[dict] = []
DETAILS: dict = {}


# --- small helpers --------------------------------------------------------------------------------------------------
def log(*a) -> None:
    # UTC: Django's setup (in this process) changes the local time zone to settings.TIME_ZONE.
    print(f"[{time.strftime('%H:%M:%S', time.gmtime())}Z]", *a, file=sys.stderr, flush=True)


def row(scenario: str, figure: str, value, target: str = "", ok: bool | None = None) -> None:
    ROWS.append({"scenario": scenario, "figure": figure, "value": value, "target": target, "ok": ok})


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Ports:
    def __init__(self, first: int) -> None:
        self.next = first

    def take(self) -> int:
        port = self.next
        self.next += 1
        return port


# --- database and Redis ---------------------------------------------------------------------------------------------
def database_url(args) -> str:
    if args.sqlite or args.db == "sqlite":
        path = Path(f"/tmp/hub_bench_{os.getpid()}.sqlite3")
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return f"sqlite:///{path}"
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith("postgres"):
        return base.rsplit("/", 1)[0] + "/hub_bench"
    return "postgres://postgres@127.0.0.1:5432/hub_bench"


def recreate_postgres(url: str) -> None:
    import psycopg

    server, name = url.rsplit("/", 1)
    name = name.split("?")[0]
    with psycopg.connect(server + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def clear_redis(url: str) -> None:
    import redis

    r = redis.Redis.from_url(url)
    prefix = os.environ.get("REDIS_PREFIX", "hub")
    for pattern in (f"{prefix}:live:*", f"{prefix}*"):
        keys = list(r.scan_iter(pattern, count=1000))
        if keys:
            r.delete(*keys)
    r.close()


def live_debate(user: Any, title: str, *, premoderation: bool, segments: int = 0) -> Any:
    """A debate scheduled from a minute ago for two hours, `user` its moderator, with `segments` agenda segments of
    an hour, made live through the service (as a moderator would)."""
    from datetime import timedelta

    from django.utils import timezone

    from debates import services
    from debates.models import AgendaSegment, Debate, DebateRole

    now = timezone.now()
    debate = Debate.objects.create(
        title=title,
        status=Debate.Status.SCHEDULED,
        premoderation=premoderation,
        scheduled_start=now - timedelta(minutes=1),
        scheduled_end=now + timedelta(hours=2),
    )
    DebateRole.objects.create(debate=debate, user=user, role=DebateRole.Role.MODERATOR)
    for i in range(segments):
        AgendaSegment.objects.create(debate=debate, position=i, title=f"Segment {i + 1}", planned_seconds=3600)
    services.debate_set_status(debate=debate, status=Debate.Status.LIVE, actor=user)
    return debate


def setup_data(db_url: str, redis_url: str) -> dict:
    """Fresh database: migrate, one live debate with a running clock, a moderator and an open yes/no poll."""
    if db_url.startswith("postgres"):
        recreate_postgres(db_url)
    env = server_env(db_url, redis_url)
    subprocess.run([PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    # DEBUG=0 as in production: the manifest static storage needs collectstatic (into the ignored staticfiles/).
    subprocess.run([PY, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    import django

    django.setup()

    from django.contrib.auth import get_user_model
    from django.db import connections

    from debates import services
    from debates.models import Poll

    user = get_user_model().objects.create_user(username="bench-mod", password="bench-mod-pw-123", is_staff=True)
    debate = live_debate(user, "Bench debate", premoderation=True, segments=2)
    services.clock_action(debate=debate, actor=user, action="start")
    poll = services.poll_create(
        debate=debate,
        actor=user,
        text="Faut-il piétonniser le centre ?",
        kind=Poll.Kind.YES_NO_ABSTAIN,
        open_now=True,
        results=Poll.Results.LIVE,
    )
    options = list(poll.options.values_list("pk", flat=True))
    asker = services.participant_join(debate=debate)
    question = services.question_submit(debate=debate, participant=asker, text="Quand les travaux finiront-ils ?")
    services.question_approve(question=question, actor=user)
    info = {
        "debate": debate.pk,
        "code": debate.code,
        "user": user.pk,
        "poll": poll.pk,
        "options": options,
        "question": question.pk,
    }
    connections.close_all()
    return info


def votes_stored(poll_id: int, question_id: int | None = None) -> tuple[int, int]:
    """(rows stored, distinct participants among them): votes on the poll, or upvotes of the question."""
    from django.db import connections
    from django.db.models import Count

    from debates.models import Question, QuestionUpvote, Vote

    if question_id is None:
        qs = Vote.objects.filter(poll_id=poll_id)
    else:
        qs = QuestionUpvote.objects.filter(question_id=question_id)
        assert Question.objects.get(pk=question_id).upvote_count == qs.count(), "upvote counter out of step"
    total = qs.count()
    distinct = qs.values("participant_id").annotate(n=Count("id")).count()
    connections.close_all()
    return total, distinct


def server_env(db_url: str, redis_url: str) -> dict:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "hub.settings",
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "SECURE_HSTS_SECONDS": "0",
            "LOG_LEVEL": "WARNING",
            # Every load client connects from 127.0.0.1: the per-address connect bucket (live/limits.py) is off here.
            "LIVE_CONNECT_BURST": "0",
            # …and the voters of a burst are thousands of newcomers from that one address, where a real crowd comes
            # from many: the per-address newcomer limit (debates/limits.py) is raised past any burst here.
            "RATE_LIMITS": "participant_per_address=1000000/60",
            "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}",
        }
    )
    return env


# --- servers --------------------------------------------------------------------------------------------------------
class Server:
    def __init__(self, kind: str, port: int, env: dict, core: str, logdir: Path) -> None:
        self.kind, self.port = kind, port
        if kind == "bare":
            cmd = [PY, str(ROOT / "bench" / "bare_server.py"), str(port)]
        elif kind == "uvicorn" or (kind == "daphne" and ASGI_SERVER == "uvicorn"):
            cmd = [
                str(Path(PY).with_name("uvicorn")),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--backlog",
                "2048",
                "--no-access-log",
                "--log-level",
                "warning",
                "--ws",
                "websockets-sansio",
                "--ws-per-message-deflate",
                "false",
                "--ws-ping-interval",
                "0",
                "bench.asgi:application",
            ]
        else:
            # backlog: Twisted's default listen backlog (50) drops SYNs during a connect storm.
            # -v 0: no access log line per connection (it costs server CPU).
            cmd = [DAPHNE, "-v", "0", "-e", f"tcp:{port}:interface=127.0.0.1:backlog=1024", "bench.asgi:application"]
        self.log = open(logdir / f"server-{kind}-{port}.log", "w")
        if PROFILE:
            script = cmd[0] if cmd[0] != PY else cmd[1]
            rest = cmd[1:] if cmd[0] != PY else cmd[2:]
            cmd = [PY, "-m", "cProfile", "-o", str(logdir / f"profile-{kind}-{port}.prof"), script, *rest]
        self.proc = subprocess.Popen(
            ["taskset", "-c", core, *cmd], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )
        self.pid = self.proc.pid
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server {kind} exited; see {self.log.name}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError(f"server {kind} did not listen on {port}")

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def rss(self) -> int:
        return rss_kib(self.pid)

    def stop(self) -> None:
        if PROFILE:  # SIGINT: the server stops cleanly and cProfile writes its file
            self.proc.send_signal(2)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                pass
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def wait_idle(servers: list[Server], quiet: float = 0.5, limit: float = 30.0) -> None:
    """Wait until the servers stop burning CPU (delivery finished), bounded by `limit` seconds."""
    end = time.time() + limit
    last = sum(s.cpu() for s in servers)
    still_since = time.time()
    while time.time() < end:
        time.sleep(0.1)
        now = sum(s.cpu() for s in servers)
        if now - last > 1.5 / TICK:
            still_since, last = time.time(), now
        elif time.time() - still_since >= quiet:
            return


# --- load processes -------------------------------------------------------------------------------------------------
class Clients:
    """`n` websocket clients in `workers` processes pinned to the load core."""

    def __init__(self, urls: list[str], n: int, rate: float, poll_id: int, workers: int, max_seconds: float = 300):
        ctx = mp.get_context("fork")
        self.ready_q, self.result_q, self.stop_evt = ctx.Queue(), ctx.Queue(), ctx.Event()
        self.procs = []
        self.n = n
        workers = max(1, min(workers, n))
        for w in range(workers):
            count = n // workers + (1 if w < n % workers else 0)
            wurls = urls[w % len(urls) :] + urls[: w % len(urls)]
            p = ctx.Process(
                target=load.client_worker,
                daemon=True,
                args=(
                    w,
                    wurls,
                    count,
                    rate / workers,
                    poll_id,
                    self.ready_q,
                    self.stop_evt,
                    self.result_q,
                    max_seconds,
                ),
            )
            p.start()
            os.sched_setaffinity(p.pid, {int(LOAD_CORE)})
            self.procs.append(p)

    def wait_ready(self, timeout: float) -> tuple[int, int]:
        ok = failed = 0
        end = time.time() + timeout
        for _ in self.procs:
            _w, o, f = self.ready_q.get(timeout=max(1, end - time.time()))
            ok, failed = ok + o, failed + f
        return ok, failed

    def finish(self) -> list[dict]:
        self.stop_evt.set()
        results = []
        for _ in self.procs:
            try:
                _w, res = self.result_q.get(timeout=60)
                results.append(res)
            except Exception:
                results.append({"error": "no result", "conns": [], "failed": 0})
        for p in self.procs:
            p.join(5)
            if p.is_alive():
                p.kill()
        return results


def connections_of(results: list[dict]) -> list[dict]:
    return [c for r in results for c in r.get("conns", [])]


def failures_of(results: list[dict]) -> int:
    return sum(r.get("failed", 0) for r in results)


def ws_urls(ports: list[int], code: str) -> list[str]:
    return [f"ws://127.0.0.1:{p}/ws/d/{code}/?lang=fr" for p in ports]


def trigger_write(port: int, info: dict) -> int:
    url = f"http://127.0.0.1:{port}/__bench__/write?debate={info['debate']}&user={info['user']}"
    with urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST"), timeout=30) as resp:
        return int(json.loads(resp.read())["v"])


# --- scenarios ------------------------------------------------------------------------------------------------------
def broadcast_run(
    label: str, servers: list[Server], urls: list[str], n: int, info: dict, broadcasts: int, gap: float, trigger
) -> dict:
    """Connect n clients, do `broadcasts` writes `gap` s apart, measure latency, rate, CPU per message, misses."""
    workers = 1 if n <= 300 else 4
    clients = Clients(urls, n, rate=min(1000.0, max(200.0, n / 3)), poll_id=info["poll"], workers=workers)
    ok, failed = clients.wait_ready(timeout=n / 200 + 60)
    time.sleep(1.0 + n / 5000)  # presence flushes after the connects settle
    for _ in range(2):  # warm-up writes (template and code paths), not measured
        trigger()
        time.sleep(gap)
    wait_idle(servers, quiet=0.3, limit=10)
    cpu0 = sum(s.cpu() for s in servers)
    t_first = time.time()
    versions = []
    for k in range(broadcasts):
        slot = t_first + k * gap
        if time.time() < slot:
            time.sleep(slot - time.time())
        versions.append(trigger())
    wait_idle(servers, quiet=0.5, limit=30)
    cpu1 = sum(s.cpu() for s in servers)
    results = clients.finish()
    conns = connections_of(results)
    lat, missed, last_receipt = [], 0, t_first
    expected = set(versions)
    missed_samples = []
    for c in conns:
        got = c["status"]
        if not expected <= set(got):
            missed += 1
            if len(missed_samples) < 5:  # what a client that missed something did receive
                missed_samples.append(
                    {
                        "status_versions_received": len(got),
                        "of_expected": len(expected & set(got)),
                        "closed_by_server": c["closed"],
                    }
                )
        for v in expected & set(got):
            lat.append((got[v] - v / 1e6) * 1000)
            last_receipt = max(last_receipt, got[v])
    delivered = len(lat)
    span = max(1e-6, last_receipt - versions[0] / 1e6) if versions else 1
    out = {
        "label": label,
        "clients": n,
        "connected": ok,
        "connect_failures": failures_of(results),
        "fail_samples": [x for r in results for x in r.get("fail_samples", [])][:5],
        "broadcasts": broadcasts,
        "gap_s": gap,
        "delivered": delivered,
        "expected": len(expected) * n,
        "missed_clients": missed,
        "missed_samples": missed_samples,
        "p50_ms": pct(lat, 50),
        "p95_ms": pct(lat, 95),
        "p99_ms": pct(lat, 99),
        "max_ms": max(lat, default=float("nan")),
        "msgs_per_s": delivered / span,
        "cpu_s": cpu1 - cpu0,
        "cpu_us_per_msg": (cpu1 - cpu0) * 1e6 / delivered if delivered else float("nan"),
    }
    log(label, {k: (round(v, 1) if isinstance(v, float) else v) for k, v in out.items()})
    return out


def scenario_fanout(args, ctx, name="fanout", bare=False, sizes=None, embedded=False):
    sizes = sizes or args.sizes
    out = []
    for n in sizes:
        port = ctx["ports"].take()
        env = ctx["embedded_env"] if embedded else ctx["env"]
        info = ctx["embedded_info"] if embedded else ctx["info"]
        server = Server("bare" if bare else "daphne", port, env, SERVER_CORE, ctx["logdir"])
        try:
            if bare:
                from websockets.sync.client import connect

                control = connect(f"ws://127.0.0.1:{port}/control", compression=None).__enter__()

                def trigger() -> int:
                    control.send("write")
                    return int(control.recv(timeout=30))

                urls = [f"ws://127.0.0.1:{port}/ws/d/{info['code']}/?lang=fr"]
            else:
                trigger = lambda: trigger_write(port, info)  # noqa: E731
                urls = ws_urls([port], info["code"])
            # The target for 5000 clients is at 2 broadcasts/s: measure that too.
            gaps = [args.gap] + ([0.5] if n >= 5000 and args.gap < 0.5 else [])
            for gap in gaps:
                res = broadcast_run(
                    f"{name} N={n} {1 / gap:.0f}/s", [server], urls, n, info, args.broadcasts, gap, trigger
                )
                out.append(res)
            if bare:
                control.close()
        finally:
            server.stop()
    return out


def report_fanout(results, ceiling, args, embedded=None):
    bare_by_n = {(r["clients"], r["gap_s"]): r for r in ceiling or []}
    for r in results:
        n, rate = r["clients"], 1 / r["gap_s"]
        tgt = "≤ 250 ms" if n == 2000 and rate >= 5 else "≤ 500 ms" if n >= 5000 and rate <= 2 else ""
        limit = 250 if n == 2000 else 500
        at = f"N={n} {rate:.0f}/s"
        row(
            "fanout",
            f"{at} latency p50 / p95 / p99 / max (ms)",
            f"{r['p50_ms']:.0f} / {r['p95_ms']:.0f} / {r['p99_ms']:.0f} / {r['max_ms']:.0f}",
            f"p99 {tgt}" if tgt else "",
            r["p99_ms"] <= limit if tgt else None,
        )
        row("fanout", f"{at} msgs delivered/s; CPU µs/msg", f"{r['msgs_per_s']:.0f}; {r['cpu_us_per_msg']:.1f}", "")
        row(
            "fanout",
            f"{at} clients that missed an update",
            r["missed_clients"] + r["connect_failures"],
            "0",
            r["missed_clients"] + r["connect_failures"] == 0,
        )
        b = bare_by_n.get((n, r["gap_s"]))
        if b:
            ratio = r["cpu_us_per_msg"] / b["cpu_us_per_msg"] if b["cpu_us_per_msg"] else float("nan")
            row(
                "ceiling",
                f"{at} bare websockets p99 (ms); CPU µs/msg",
                f"{b['p99_ms']:.0f}; {b['cpu_us_per_msg']:.1f}",
                "",
                None,
            )
            row("ceiling", f"{at} our CPU/msg ÷ bare CPU/msg", f"{ratio:.2f}×", "≤ 3×", ratio <= 3)
    for r in embedded or []:
        rate = 1 / r["gap_s"]
        row(
            "embedded",
            f"N={r['clients']} sqlite+in-memory p50 / p99 (ms)",
            f"{r['p50_ms']:.0f} / {r['p99_ms']:.0f}",
            f"p99 ≤ 300 ms at {rate:.0f}/s",
            r["p99_ms"] <= 300,
        )
        row(
            "embedded",
            f"N={r['clients']} CPU µs/msg; missed",
            f"{r['cpu_us_per_msg']:.1f}; {r['missed_clients']}",
            "missed 0",
            r["missed_clients"] == 0,
        )


def vote_burst(
    label, args, ctx, servers, ports, info, n_clients, rate, seconds, n_voters, question=None, transport=None
):
    """n_clients connected; n_voters distinct participants vote once each at `rate`/s through POST …/vote (or, with
    `question`, upvote it through POST …/q/<id>/upvote; the clients' final count is then not parsed). With
    `transport` ("http" or "socket"), every voter also holds the citizen page's socket (bench/socket_voters.py)
    and votes over that transport."""
    urls = ws_urls(ports, info["code"])
    clients = Clients(
        urls,
        n_clients,
        rate=min(1000.0, max(200.0, n_clients / 3)),
        poll_id=info["poll"],
        workers=1 if n_clients <= 300 else 4,
    )
    ok, failed = clients.wait_ready(timeout=n_clients / 200 + 60)
    votes_total = int(rate * seconds)
    ctxmp = mp.get_context("fork")
    ready_q, start_q, result_q = ctxmp.Queue(), ctxmp.Queue(), ctxmp.Queue()
    vw = 1 if votes_total <= 500 else 2
    procs = []
    for w in range(vw):
        p = ctxmp.Process(
            target=load.voter_worker if transport is None else socket_voters.socket_voter_worker,
            daemon=True,
            args=(
                w,
                ports,
                info["code"],
                info["poll"],
                info["options"],
                votes_total,
                w,
                vw,
                rate,
                ready_q,
                start_q,
                result_q,
                None if question is None else [f"/d/{info['code']}/q/{question}/upvote"],
            )
            + (() if transport is None else (transport,)),
        )
        p.start()
        os.sched_setaffinity(p.pid, {int(LOAD_CORE)})
        procs.append(p)
    t_prep = time.time()
    prepared = prep_errors = 0
    for _ in procs:
        _w, got, errs = ready_q.get(timeout=votes_total / 20 + 120)
        prepared, prep_errors = prepared + got, prep_errors + errs
    log(label, f"{prepared} voters are ready ({time.time() - t_prep:.1f}s, {prep_errors} errors)")
    wait_idle(servers, quiet=0.3, limit=10)
    t0 = time.time() + 0.5
    cpu0 = sum(s.cpu() for s in servers)
    for _ in procs:
        start_q.put(t0)
    votes = []
    voter_bytes = 0
    for _ in procs:
        _w, res = result_q.get(timeout=seconds + 120)
        votes += res.get("votes", [])
        voter_bytes += res.get("bytes_received", 0)
    if transport is None:
        for p in procs:
            p.join(5)
    time.sleep(max(2.0, args.gap * 5))
    wait_idle(servers, quiet=0.5, limit=20)
    cpu1 = sum(s.cpu() for s in servers)
    if transport is not None:  # the voters' sockets close now, outside the measured CPU
        for p in procs:
            start_q.put("close")
        for p in procs:
            p.join(15)
    results = clients.finish()
    conns = connections_of(results)
    acked = [v for v in votes if v[3] == 200]
    lat = [(v[2] - v[1]) * 1000 for v in acked]
    stored, distinct = votes_stored(info["poll"], question)
    last_ack = max((v[2] for v in acked), default=t0)
    final_times, not_final = [], 0
    max_rate = 0.0
    burst_end = max((v[2] for v in votes), default=t0)
    for c in conns:
        t_final = next((t for t, n in c["polls"] if n == stored), None)
        if t_final is None:
            not_final += 1
        else:
            final_times.append(t_final)
        during = [t for t, _n in c["polls"] if t0 <= t <= burst_end + 0.3]
        max_rate = max(max_rate, len(during) / max(0.5, burst_end + 0.3 - t0))
    out = {
        "label": label,
        "transport": transport or "http",
        "voters_holding_sockets": n_voters if transport else 0,
        "bytes_received_per_voter_socket": voter_bytes / max(1, n_voters) if transport else None,
        "clients": n_clients,
        "connected": ok,
        "connect_failures": failures_of(results),
        "votes_sent": len(votes),
        "acked": len(acked),
        "stored": stored,
        "distinct_voters_stored": distinct,
        "statuses": {str(s): sum(1 for v in votes if v[3] == s) for s in {v[3] for v in votes}},
        "vote_p50_ms": pct(lat, 50),
        "vote_p99_ms": pct(lat, 99),
        "vote_max_ms": max(lat, default=float("nan")),
        "final_count_after_last_vote_ms": max(0.0, (max(final_times) - last_ack) * 1000)
        if final_times
        else float("nan"),
        "clients_without_final_count": not_final + (n_clients - len(conns)),
        "max_results_msgs_per_s_per_client": max_rate,
        "cpu_s": cpu1 - cpu0,
        "achieved_vote_rate": len(votes) / max(1e-6, max((v[1] for v in votes), default=t0) - t0 + 1 / rate),
        # p50 / p99 / count of the votes sent in each second of the burst: where a tail comes from
        "latency_by_second": [
            [round(pct(sec, 50)), round(pct(sec, 99)), len(sec)]
            for s in range(int(seconds) + 1)
            if (sec := [(v[2] - v[1]) * 1000 for v in acked if s <= v[1] - t0 < s + 1])
        ],
    }
    if question is not None:  # the clients parse the poll's count only
        out["final_count_after_last_vote_ms"] = out["clients_without_final_count"] = None
        out["max_results_msgs_per_s_per_client"] = None
    log(label, out)
    return out


def report_votes(r, name="votes"):
    row(
        name,
        "votes sent / acknowledged (200) / stored / distinct voters",
        f"{r['votes_sent']} / {r['acked']} / {r['stored']} / {r['distinct_voters_stored']}",
        "stored = acked",
        r["stored"] == r["acked"] == r["distinct_voters_stored"],
    )
    row(
        name,
        "vote latency p50 / p99 (ms)",
        f"{r['vote_p50_ms']:.0f} / {r['vote_p99_ms']:.0f}",
        "p99 ≤ 500 ms",
        r["vote_p99_ms"] <= 500,
    )
    if r["final_count_after_last_vote_ms"] is None:  # an upvote burst: the clients parse the poll's count only
        return
    row(
        name,
        "final count on every client after last vote (ms)",
        f"{r['final_count_after_last_vote_ms']:.0f} ({r['clients_without_final_count']} clients never)",
        "≤ 1000 ms",
        r["clients_without_final_count"] == 0 and r["final_count_after_last_vote_ms"] <= 1000,
    )
    row(
        name,
        "poll-results msgs/s received by one client (max)",
        f"{r['max_results_msgs_per_s_per_client']:.1f}",
        "≤ 1 / flush interval",
        None,
    )


def burst_on_one_server(label, args, ctx, info, rate, **kwargs):
    """vote_burst on a fresh daphne (args.vote_clients listening, `rate` votes/s for args.vote_seconds)."""
    port = ctx["ports"].take()
    server = Server("daphne", port, ctx["env"], SERVER_CORE, ctx["logdir"])
    try:
        return vote_burst(
            label,
            args,
            ctx,
            [server],
            [port],
            info,
            args.vote_clients,
            rate,
            args.vote_seconds,
            int(rate * args.vote_seconds),
            **kwargs,
        )
    finally:
        server.stop()


def scenario_votes(args, ctx, question: int | None = None):
    """The vote burst; with `question`, the same shape with upvotes of that question (every voter upvotes it once)."""
    label = "votes" if question is None else "upvotes"
    return burst_on_one_server(label, args, ctx, ctx["info"], args.vote_rate, question=question)


def scenario_storm(args, ctx):
    port = ctx["ports"].take()
    server = Server("daphne", port, ctx["env"], SERVER_CORE, ctx["logdir"])
    info = ctx["info"]
    try:
        warm = Clients(ws_urls([port], info["code"]), 5, rate=50, poll_id=info["poll"], workers=1)
        warm.wait_ready(30)
        time.sleep(1.5)
        warm.finish()
        time.sleep(1.0)
        rss0, cpu0 = server.rss(), server.cpu()
        n = args.storm_clients
        t0 = time.time()
        clients = Clients(
            ws_urls([port], info["code"]),
            n,
            rate=n / args.storm_seconds,
            poll_id=info["poll"],
            workers=1 if n <= 300 else 4,
        )
        ok, failed = clients.wait_ready(timeout=args.storm_seconds + 90)
        took = time.time() - t0
        time.sleep(2.0)
        wait_idle([server], quiet=0.5, limit=15)
        rss1, cpu1 = server.rss(), server.cpu()
        results = clients.finish()
        conns = connections_of(results)
        ms = [m for r in results for m in r.get("connect_ms", [])]
        snap = sum(1 for c in conns if c["status"])
        out = {
            "clients": n,
            "connected": ok,
            "failures": failed,
            "seconds_to_connect_all": took,
            "connect_p50_ms": pct(ms, 50),
            "connect_p99_ms": pct(ms, 99),
            "got_snapshot": snap,
            "rss_before_kib": rss0,
            "rss_after_kib": rss1,
            "kib_per_connection": (rss1 - rss0) / max(1, ok),
            "cpu_s": cpu1 - cpu0,
            "fail_samples": [s for r in results for s in r.get("fail_samples", [])][:5],
        }
        log("storm", out)
        return out
    finally:
        server.stop()


def fresh_poll(info: dict) -> dict:
    """Close the debate's current poll and open a new one: `info` with that poll (its count starts at 0)."""
    from debates import services
    from debates.models import Debate, Poll
    from django.contrib.auth import get_user_model
    from django.db import connections

    debate = Debate.objects.get(pk=info["debate"])
    user = get_user_model().objects.get(pk=info["user"])
    old = Poll.objects.get(pk=info["poll"])
    if old.status == Poll.Status.OPEN:
        services.poll_close(poll=old, actor=user)
    poll = services.poll_create(
        debate=debate,
        actor=user,
        text="Deuxième question ?",
        kind=Poll.Kind.YES_NO_ABSTAIN,
        open_now=True,
        results=Poll.Results.LIVE,
    )
    connections.close_all()
    return dict(info, poll=poll.pk, options=list(poll.options.values_list("pk", flat=True)))


def scenario_socket_votes(args, ctx):
    """The vote burst with every voter holding the citizen page's socket, as phones in a hall do: once voting over
    HTTP (the sockets only listen), once over the sockets (write frames), each on a fresh server and a fresh poll.
    The fan-out is the same in both (every voter socket receives the results), so the CPU difference is the
    write's transport."""
    runs = {}
    for transport in args.socket_vote_transports.split(","):
        info = ctx["info"] = fresh_poll(ctx["info"])
        label = f"socket-votes {transport}"
        runs[transport] = burst_on_one_server(label, args, ctx, info, args.socket_vote_rate, transport=transport)
    return runs


def scenario_two(args, ctx):
    if not ctx["redis"]:
        log("two: skipped (needs Redis)")
        return None
    ports = [ctx["ports"].take(), ctx["ports"].take()]
    servers = [Server("daphne", p, ctx["env"], SERVER_CORE, ctx["logdir"]) for p in ports]
    info = ctx["info"]
    try:
        fan = broadcast_run(
            "two N=%d" % args.two_clients,
            servers,
            ws_urls(ports, info["code"]),
            args.two_clients,
            info,
            args.broadcasts,
            args.gap,
            lambda: trigger_write(ports[0], info),
        )
        info2 = fresh_poll(info)  # so the final count is this burst's
        time.sleep(1.0)
        votes = vote_burst(
            "two votes",
            args,
            ctx,
            servers,
            ports,
            info2,
            args.two_clients,
            args.two_vote_rate,
            args.vote_seconds,
            int(args.two_vote_rate * args.vote_seconds),
        )
        return {"fanout": fan, "votes": votes}
    finally:
        for s in servers:
            s.stop()


# --- main -----------------------------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="200 clients, a few seconds (the smoke test)")
    parser.add_argument("--sqlite", action="store_true", help="embedded: SQLite and the in-memory layer, no Redis")
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--redis", default=None, help="Redis URL, or 'none' for the in-memory layer")
    parser.add_argument("--scenarios", default=",".join(ALL_SCENARIOS))
    parser.add_argument("--sizes", default="1000,2000,5000")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "latest.json"))
    content.add_arguments(parser)
    supports.add_arguments(parser)
    parser.add_argument(
        "--vote-rate", type=float, default=None, help="votes per second in the vote burst (default: the issue's 500/s)"
    )
    parser.add_argument(
        "--socket-vote-transports",
        default="http,socket",
        help="socket_votes: the transports to run, in order (default: http,socket)",
    )
    args = parser.parse_args()
    vote_rate_override = args.vote_rate
    load.raise_nofile()
    args.sizes = [int(s) for s in args.sizes.split(",")]
    args.broadcasts, args.gap = 20, 0.2
    args.vote_clients, args.vote_rate, args.vote_seconds = 2000, 500.0, 10.0
    args.socket_vote_rate = 1500.0
    args.storm_clients, args.storm_seconds = 5000, 10.0
    args.two_clients, args.two_vote_rate = 2000, 500.0
    args.embedded_sizes = [1000]
    if args.quick:
        args.sizes, args.embedded_sizes = [200], [200]
        args.broadcasts = 10
        args.vote_clients, args.vote_rate, args.vote_seconds = 200, 50.0, 2.0
        args.socket_vote_rate = 50.0
        args.storm_clients, args.storm_seconds = 200, 1.0
        args.two_clients, args.two_vote_rate = 200, 50.0
        args.support_rate, args.support_seconds, args.support_clients = 100.0, 2.0, 200
    if vote_rate_override:
        args.vote_rate = args.two_vote_rate = args.socket_vote_rate = vote_rate_override
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(scenarios) - set(ALL_SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    if args.sqlite:
        args.redis = "none"
    redis_url = (
        args.redis
        if args.redis is not None
        else (os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/3")
    )
    redis_url = "" if redis_url == "none" else redis_url
    logdir = Path(args.out).parent / "logs"
    logdir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    if redis_url:
        clear_redis(redis_url)
    db_url = database_url(args)
    log(f"database {db_url.split('@')[-1]}, layer {'Redis pub/sub ' + redis_url if redis_url else 'in-memory'}")
    info = setup_data(db_url, redis_url)
    ctx = {
        "ports": Ports(int(os.environ.get("BENCH_PORT", "8300"))),
        "env": server_env(db_url, redis_url),
        "info": info,
        "redis": bool(redis_url),
        "logdir": logdir,
    }
    if "embedded" in scenarios:
        if not redis_url and not db_url.startswith("postgres"):
            ctx["embedded_env"], ctx["embedded_info"] = ctx["env"], info
        else:  # a second, SQLite database set up by a child so Django in this process stays on the main one
            emb_url = f"sqlite:////tmp/hub_bench_embedded_{os.getpid()}.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(emb_url[10:] + suffix).unlink(missing_ok=True)
            code = "import sys, json; sys.path[:0]=[%r, %r]; import run; print(json.dumps(run.setup_data(%r, '')))" % (
                str(ROOT),
                str(ROOT / "bench"),
                emb_url,
            )
            out = subprocess.run(
                [PY, "-c", code], cwd=ROOT, env=server_env(emb_url, ""), check=True, capture_output=True, text=True
            ).stdout
            ctx["embedded_env"], ctx["embedded_info"] = (
                server_env(emb_url, ""),
                json.loads(out.strip().splitlines()[-1]),
            )
    DETAILS.update(
        {
            "machine": {
                "cpus": os.cpu_count(),
                "cpu_model": cpu_model(),
                "python": platform.python_version(),
                "kernel": platform.release(),
                "speed_probe_ms_before": speed_probe_ms(),
            },
            "setup": {
                "server_core": SERVER_CORE,
                "load_core": LOAD_CORE,
                "database": db_url.split("@")[-1],
                "layer": "RedisPubSubChannelLayer" if redis_url else "InMemoryChannelLayer",
                "server": f"{ASGI_SERVER} bench.asgi:application (hub.asgi + /__bench__/write)",
                "broadcasts": args.broadcasts,
                "gap_s": args.gap,
                "quick": args.quick,
            },
        }
    )
    fan = ceil = emb = None
    if "fanout" in scenarios:
        fan = DETAILS["fanout"] = scenario_fanout(args, ctx)
    if "ceiling" in scenarios:
        ceil = DETAILS["ceiling"] = scenario_fanout(args, ctx, name="ceiling", bare=True)
    if "embedded" in scenarios:
        emb = DETAILS["embedded"] = scenario_fanout(
            args, ctx, name="embedded", sizes=args.embedded_sizes, embedded=True
        )
    report_fanout(fan or [], ceil, args, emb)
    if fan is None and ceil:
        for b in ceil:
            row(
                "ceiling",
                f"N={b['clients']} bare websockets p99 (ms); CPU µs/msg",
                f"{b['p99_ms']:.0f}; {b['cpu_us_per_msg']:.1f}",
                "",
            )
    if "votes" in scenarios:
        r = DETAILS["votes"] = scenario_votes(args, ctx)
        report_votes(r)
    if "upvotes" in scenarios:
        r = DETAILS["upvotes"] = scenario_votes(args, ctx, question=ctx["info"]["question"])
        report_votes(r, name="upvotes")
    if "socket_votes" in scenarios:
        runs = DETAILS["socket_votes"] = scenario_socket_votes(args, ctx)
        for transport, r in runs.items():
            name = f"socket-votes {transport}"
            report_votes(r, name=name)
            row(
                name,
                f"server CPU per vote (ms), {r['voters_holding_sockets']} voters holding sockets",
                f"{r['cpu_s'] * 1000 / max(1, r['acked']):.2f}",
                "≤ 0.6 ms" if transport == "socket" else "",
                r["cpu_s"] * 1000 / max(1, r["acked"]) <= 0.6 if transport == "socket" else None,
            )
    if "supports" in scenarios:
        r = DETAILS["supports"] = supports.scenario_supports(args, ctx, sys.modules[__name__])
        supports.report(r, row)
    if "storm" in scenarios:
        r = DETAILS["storm"] = scenario_storm(args, ctx)
        row(
            "storm",
            f"{r['clients']} clients in {args.storm_seconds:.0f} s: failures",
            r["failures"],
            "0",
            r["failures"] == 0,
        )
        row(
            "storm",
            "connect p50 / p99 (ms); all connected after (s)",
            f"{r['connect_p50_ms']:.0f} / {r['connect_p99_ms']:.0f}; {r['seconds_to_connect_all']:.1f}",
            "",
        )
        row(
            "storm",
            "idle memory per connection (KiB)",
            f"{r['kib_per_connection']:.1f}",
            "≤ 30 KiB",
            r["kib_per_connection"] <= 30,
        )
    if "content" in scenarios:
        ctx["broadcast"] = lambda label, server, port, info: broadcast_run(  # the fan-out, on another debate
            label,
            [server],
            ws_urls([port], info["code"]),
            args.content_fanout,
            info,
            args.broadcasts,
            0.5 if args.content_fanout >= 5000 else args.gap,  # as the fan-out scenario: 2/s from 5,000 clients
            lambda: trigger_write(port, info),
        )
        DETAILS["content"] = content.scenario_content(args, ctx, Server, SERVER_CORE, LOAD_CORE, log, row)
    if "two" in scenarios:
        r = DETAILS["two"] = scenario_two(args, ctx)
        if r:
            f = r["fanout"]
            row(
                "two",
                f"N={f['clients']} over 2 processes: p50 / p99 (ms)",
                f"{f['p50_ms']:.0f} / {f['p99_ms']:.0f}",
                "",
            )
            row(
                "two",
                "clients that missed an update",
                f["missed_clients"] + f["connect_failures"],
                "0",
                f["missed_clients"] + f["connect_failures"] == 0,
            )
            report_votes(r["votes"], name="two")
        else:
            row("two", "skipped", "needs Redis", "")
    if "rolling" in scenarios:
        if redis_url and db_url.startswith("postgres"):
            DETAILS["rolling"] = rolling.scenario_rolling(args, db_url, logdir, log, row)
        else:
            row("rolling", "skipped", "needs PostgreSQL and Redis", "")
    DETAILS["rows"] = ROWS
    DETAILS["machine"]["speed_probe_ms_after"] = speed_probe_ms()
    DETAILS["elapsed_s"] = round(time.time() - started, 1)
    Path(args.out).write_text(json.dumps(DETAILS, indent=2, default=str))
    print_table()
    print(
        f"\n{DETAILS['setup']['server']}, {DETAILS['setup']['layer']}, {DETAILS['setup']['database']}; "
        f"server pinned to core {SERVER_CORE}, load to core {LOAD_CORE}; {args.broadcasts} broadcasts "
        f"{int(args.gap * 1000)} ms apart; elapsed {DETAILS['elapsed_s']} s; JSON: {args.out}\n"
        f"machine speed probe (a fixed pure-Python workload, CPU ms, lower is faster): "
        f"{DETAILS['machine']['speed_probe_ms_before']} before, {DETAILS['machine']['speed_probe_ms_after']} after"
    )
    return 0


def speed_probe_ms() -> float:
    """CPU ms of a fixed pure-Python workload (best of five): this machine's speed varies by two to three times
    between hours, so figures of runs made at different hours compare only next to it (lower is faster)."""
    data = {"items": [{"id": i, "text": f"question {i}", "count": i % 97} for i in range(2000)]}
    best = float("inf")
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {int(SERVER_CORE)})  # the server's core: the two cores of this machine differ
    try:
        for _ in range(5):
            t0 = time.thread_time()
            for _ in range(5):
                decoded = json.loads(json.dumps(data))
                "".join(f"<li id=q-{item['id']}>{item['text']}</li>" for item in decoded["items"])
                sorted(decoded["items"], key=lambda item: (-item["count"], item["id"]))
            best = min(best, (time.thread_time() - t0) * 1000)
    finally:
        os.sched_setaffinity(0, cores)
    return round(best, 1)


def cpu_model() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def print_table() -> None:
    headers = ("scenario", "figure", "value", "target")
    data = [
        (
            r["scenario"],
            r["figure"],
            str(r["value"]),
            r["target"] + ("" if r["ok"] is None else ("  ok" if r["ok"] else "  MISSED")),
        )
        for r in ROWS
    ]
    widths = [max(len(h), *(len(d[i]) for d in data)) if data else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    print(line)
    print("-" * len(line))
    for d in data:
        print("  ".join(c.ljust(w) for c, w in zip(d, widths)))


if __name__ == "__main__":
    sys.exit(main())
