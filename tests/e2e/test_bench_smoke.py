"""Smoke version of `make bench` (bench/run.py --quick): 200 clients, a few seconds, so the benchmark never rots.

Embedded (SQLite, in-memory layer) in the pass without REDIS_URL; with REDIS_URL set, the Redis pub/sub layer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_quick(tmp_path: Path, *extra: str, scenarios: str = "fanout") -> dict:
    out = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE",)}
    env["BENCH_PORT"] = env.get("BENCH_PORT", "8370")
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--quick",
            "--scenarios",
            scenarios,
            "--out",
            str(out),
            *extra,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "scenario" in proc.stdout and "figure" in proc.stdout and "target" in proc.stdout, proc.stdout
    return json.loads(out.read_text())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses taskset and /proc")
@pytest.mark.skipif(
    bool(os.environ.get("REDIS_URL")),
    reason="its server is embedded whatever the environment says: it runs once, in the embedded pass (CI's budget)",
)
def test_bench_quick_embedded(tmp_path):
    data = run_quick(tmp_path, "--sqlite", scenarios="fanout,votes,upvotes,socket_votes")
    (fan,) = data["fanout"]
    assert fan["connect_failures"] == 0
    assert fan["missed_clients"] == 0
    assert fan["delivered"] == fan["expected"] > 0
    assert any(r["scenario"] == "fanout" for r in data["rows"])
    # Real HTTP votes and upvotes through daphne and the hot path: each acknowledged one stored exactly once.
    for burst in (data["votes"], data["upvotes"]):
        assert burst["votes_sent"] == burst["acked"] == burst["stored"] == burst["distinct_voters_stored"] > 0
    assert data["votes"]["clients_without_final_count"] == 0
    # Voters holding the page's socket, voting over HTTP and then over the socket (write frames): the same.
    for transport in ("http", "socket"):
        burst = data["socket_votes"][transport]
        assert burst["votes_sent"] == burst["acked"] == burst["stored"] == burst["distinct_voters_stored"] > 0
        assert burst["clients_without_final_count"] == 0 and burst["voters_holding_sockets"] == burst["votes_sent"]


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_bench_quick_redis(tmp_path):
    data = run_quick(tmp_path, "--db", "sqlite", "--redis", os.environ["REDIS_URL"])
    (fan,) = data["fanout"]
    assert fan["connect_failures"] == 0
    assert fan["missed_clients"] == 0
    assert fan["delivered"] == fan["expected"] > 0
