"""End-to-end fixtures: a real daphne server on 127.0.0.1, on a fresh SQLite database, and Debian's chromium.

`live_server_url` migrates a new SQLite file in a temporary directory, creates nothing else, starts daphne on a
free port, waits until it answers, yields the base URL and stops the server. `daphne_server` gives the same server
plus `shell(code)`, which runs Python (with Django set up) against that server's database to create test data.
Redis: when REDIS_URL is set the server uses it (tests then exercise the Redis layer too); otherwise in-memory.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = ROOT / "screenshots"
START_TIMEOUT = 30.0

requires_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    log_path: Path | None = None  # daphne's output
    proc: subprocess.Popen | None = None

    def shell(self, code: str) -> str:
        """Run Python code against the server's database (Django set up); returns its stdout."""
        from deploy.cluster import manage_shell

        return manage_shell(self.env, code)


def _server_env(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        DATABASE_URL=f"sqlite:///{db}",
        DJANGO_SETTINGS_MODULE="hub.settings",
        DEBUG="1",
        PYTHONUNBUFFERED="1",
        RATE_LIMITS="question=100/60",  # browser tests type faster than any person
    )
    # Stopping a test server (SIGTERM) drains its sockets over this window: a test of the drain sets its own.
    env.setdefault("LIVE_DRAIN_SECONDS", "0.2")
    return env


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly migrated SQLite file, made once per test run; each server starts on its own copy of it (a
    migrate per server cost 3-4 s each, twice per CI run)."""
    db = tmp_path_factory.mktemp("e2e-template") / "template.sqlite3"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=_server_env(db),
        check=True,
        timeout=180,
    )
    return db


@pytest.fixture
def daphne_server(tmp_path: Path, migrated_sqlite: Path) -> Iterator[LiveServer]:
    import shutil

    db = tmp_path / "e2e.sqlite3"
    for suffix in ("", "-wal", "-shm"):  # WAL mode: the main file, and the log if a checkpoint is pending
        source = migrated_sqlite.with_name(migrated_sqlite.name + suffix)
        if source.exists():
            shutil.copyfile(source, db.with_name(db.name + suffix))
    env = _server_env(db)
    port = int(os.environ.get("E2E_PORT") or free_port())
    log = (tmp_path / "daphne.log").open("wb")
    daphne = Path(sys.executable).with_name("daphne")
    proc = subprocess.Popen(
        [str(daphne), "-b", "127.0.0.1", "-p", str(port), "hub.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"daphne exited: {(tmp_path / 'daphne.log').read_text()[-2000:]}")
            try:
                urllib.request.urlopen(url + "/", timeout=2).close()
                break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("daphne did not start in time") from None
                time.sleep(0.2)
        yield LiveServer(url=url, env=env, log_path=tmp_path / "daphne.log", proc=proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        log.close()


@pytest.fixture
def live_server_url(daphne_server: LiveServer) -> str:
    return daphne_server.url


@pytest.fixture
def browser():
    """One headless chromium for the test (sync Playwright API)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # Playwright's wait_for_function(string) evaluates the string in the page, which the site's
        # Content-Security-Policy refuses (no eval): contexts bypass it unless a test asks otherwise
        # (tests/e2e/test_csp_browser.py checks the policy with bypass_csp=False).
        new_context, new_page = b.new_context, b.new_page
        b.new_context = lambda **kw: new_context(**{"bypass_csp": True, **kw})
        b.new_page = lambda **kw: new_page(**{"bypass_csp": True, **kw})
        try:
            yield b
        finally:
            b.close()
