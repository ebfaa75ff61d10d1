"""Shared fixtures. The suite runs on the embedded default (SQLite, in-memory layer) and, when DATABASE_URL and
REDIS_URL are set, against PostgreSQL and Redis — the same tests, nothing mocked."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from live import hooks


class Broadcasts(list):
    """What services published, as (debate_id, frames). Tests run inside a transaction that never commits, so the
    on-commit callbacks registered so far are run (in order, once) whenever the captured list is read: each reading
    closes a capture of pytest-django's django_capture_on_commit_callbacks (execute=True) and opens the next."""

    def __init__(self, capture_on_commit) -> None:
        super().__init__()
        self._capture_on_commit = capture_on_commit
        self._capturing = None
        self._capture()

    def _capture(self) -> None:
        self._capturing = self._capture_on_commit(execute=True)
        self._capturing.__enter__()

    def run_pending(self) -> "Broadcasts":
        self.close()
        self._capture()
        return self

    def close(self) -> None:
        """End the open capture, running the callbacks registered since the last reading."""
        if self._capturing is not None:
            capturing, self._capturing = self._capturing, None
            capturing.__exit__(None, None, None)

    def keys(self) -> set[str]:
        self.run_pending()
        return {key for _debate, frames in self for fragments in frames.values() for key, _v, _html in fragments}

    def html(self, audience: str = "public.fr") -> str:
        self.run_pending()
        return "".join(html for _d, frames in self for key, _v, html in frames.get(audience, []))

    def clear(self) -> None:
        self.run_pending()
        super().clear()


@pytest.fixture
def broadcasts(db, django_capture_on_commit_callbacks):
    """Capture what services publish (rendered fragments per audience), exactly as they would be sent."""
    with hooks.listening(lambda debate_id, frames: captured.append((debate_id, frames))):
        captured = Broadcasts(django_capture_on_commit_callbacks)
        yield captured
        captured.close()


def broadcast_keys(captured: Broadcasts) -> set[str]:
    return captured.keys()


def broadcast_html(captured: Broadcasts, audience: str = "public.fr") -> str:
    return captured.html(audience)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Staff accounts are created in many tests; real password hashing would dominate the suite's time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_scheduler_ticker(settings):
    """In-process ASGI tests must not start the periodic scheduler tick (debates.scheduler): it would write to the
    test database from its own thread between tests. Scheduler tests call tick() themselves; the e2e servers,
    separate processes, tick as in production."""
    settings.SCHEDULER_TICK_SECONDS = 0


@pytest.fixture(autouse=True)
def _reset_redis_live_keys():
    """Redis keeps no state between tests (presence counts, flush locks) when the suite runs on Redis."""
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL)
        for pattern in ("live", "limit"):
            for key in client.scan_iter(f"{settings.REDIS_PREFIX}:{pattern}:*"):
                client.delete(key)
    from debates import limits

    limits._memory.clear()  # abuse counters (questions per participant, failed guesses…) start from zero
    yield


requires_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs DATABASE_URL=postgres://…"
)
requires_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL=redis://…")


def pytest_collection_modifyitems(config, items):
    """BROWSER_TESTS=smoke: of the browser tests, only those marked browser_smoke. The e2e servers run on SQLite in
    both of CI's passes; the browser suite runs once, in the pass with Redis (production's channel layer), and the
    embedded pass keeps a smoke of the in-memory layer in a browser (CI's 20-minute budget)."""
    if os.environ.get("BROWSER_TESTS") != "smoke":
        return
    skip = pytest.mark.skip(reason="BROWSER_TESTS=smoke: the browser suite runs in CI's Redis pass")
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("browser_smoke"):
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (REQUIRE_BROWSER=1) a browser test skipped for want of chromium is a failure, not a skip."""
    outcome = yield
    report = outcome.get_result()
    expected_failure = hasattr(report, "wasxfail")  # an xfail is reported as skipped: it is not a missing browser
    if (
        report.skipped
        and not expected_failure
        and os.environ.get("REQUIRE_BROWSER") == "1"
        and "chromium" in str(report.longrepr).lower()
    ):
        report.outcome = "failed"
        report.longrepr = f"REQUIRE_BROWSER=1 but the browser test was skipped: {report.longrepr}"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite tests on a file, as the embedded mode runs, not Django's default shared-cache in-memory database.

    In shared-cache memory, SQLite locks whole tables and a second writer fails at once with "database table is
    locked": the busy timeout and immediate transactions of the settings do not apply. Under load that made hot
    path tests fail (one upvote of a burst answered 500). On a file in WAL mode, writers wait for one another.
    """
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("sqlite") / "test.sqlite3")


@pytest.fixture(scope="session", autouse=True)
def _close_database_pools(django_db_setup, django_db_blocker):
    """PostgreSQL runs with a connection pool (see settings): close it before the test database is dropped."""
    yield
    from django.db import connections

    with django_db_blocker.unblock():
        for conn in connections.all(initialized_only=True):
            if conn.vendor != "postgresql":
                continue
            # Connections still held by finished worker threads (sync_to_async) never go back to the pool.
            with conn.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            if getattr(conn, "pool", None) is not None:
                conn.close_pool()
