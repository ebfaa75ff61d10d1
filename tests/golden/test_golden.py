"""Golden tests: every live fragment for every audience and every page of a seeded debate, compared byte for byte
with the files under tests/golden/files/. They exist so that moving code cannot change what people get.

When a change of rendering is intended, regenerate them and review the diff like code:

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/golden

The seed (tests/golden/seed.py) fixes ids (sequences reset), the clock (time_machine) and the secrets; only the
CSRF tokens, which Django masks with fresh randomness on every response, are replaced by a placeholder. The few
files that read differently on PostgreSQL (jsonb reorders the keys of the log's before/after) are kept in
files-postgresql/: after an intended change, regenerate on both backends (the second command with DATABASE_URL
pointing at PostgreSQL).
"""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import translation

from debates import fragments
from live import groups

from . import seed

FILES = Path(__file__).parent / "files"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
LANGUAGES = ("fr", "en")

_CSRF = [
    (re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")'), r"\1CSRF\2"),
    (re.compile(r'("X-CSRFToken": ")[^"]+(")'), r"\1CSRF\2"),
    (re.compile(r'(<meta name="csrf-token" content=")[^"]+(")'), r"\1CSRF\2"),
]


def normalise(content: bytes) -> bytes:
    text = content.decode()
    for pattern, repl in _CSRF:
        text = pattern.sub(repl, text)
    return text.encode()


def _client(language: str, user=None, **headers: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language, **headers)
    if user is not None:
        client.force_login(user)
    return client


def _pages(s: seed.Seed) -> dict[str, tuple[Client | str, str, int]]:
    """name → (who, URL, expected status). who: 'anon', 'moderator', 'official', 'citizen'."""
    code, closed = seed.CODE, seed.CLOSED_CODE
    waiting = s.debate.questions.filter(status="pending").order_by("pk").first()
    pages = {
        "home": ("anon", "/", 200),
        "home-unknown-code": ("anon", "/?code=NOPE99", 404),
        "citizen-anon": ("anon", f"/d/{code}/", 200),
        "citizen-participant": ("citizen", f"/d/{code}/", 200),
        "citizen-moderator": ("moderator", f"/d/{code}/", 200),
        "citizen-closed": ("anon", f"/d/{closed}/", 200),
        "me-participant": ("citizen", f"/d/{code}/me", 200),
        "me-anon": ("anon", f"/d/{code}/me", 200),
        "console-moderator": ("moderator", f"/d/{code}/moderate/", 200),
        "console-official": ("official", f"/d/{code}/moderate/", 200),
        "console-closed": ("moderator", f"/d/{closed}/moderate/", 200),
        # What the console asks for once loaded: a card's "⋯" panel and a proposition's arguments (htmx; without
        # JavaScript, a page), the screen link.
        "console-more-queue": ("moderator-htmx", f"/d/{code}/moderate/q/{waiting.pk}/more?list=queue", 200),
        "console-more-approved": (
            "official-htmx",
            f"/d/{code}/moderate/q/{s.questions['tram'].pk}/more?list=approved",
            200,
        ),
        "console-more-page": ("moderator", f"/d/{code}/moderate/q/{waiting.pk}/more?list=queue", 200),
        "console-screenlink": ("moderator-htmx", f"/d/{code}/moderate/screen-link", 200),
        "console-arguments": ("moderator-htmx", f"/d/{code}/moderate/poll/{s.polls['proposition'].pk}/arguments", 200),
        "console-arguments-page": ("moderator", f"/d/{code}/moderate/poll/{s.polls['proposition'].pk}/arguments", 200),
        "screen": ("anon", f"/d/{code}/screen/{seed.SCREEN_TOKEN}/", 200),
        "screen-light": ("anon", f"/d/{code}/screen/{seed.SCREEN_TOKEN}/?theme=light", 200),
        "screen-closed": ("anon", f"/d/{closed}/screen/{s.closed.screen_token}/", 200),
        "settings": ("moderator", f"/d/{code}/moderate/settings/", 200),
        "log": ("moderator", f"/d/{code}/moderate/log/", 200),
        "log-filtered": ("moderator", f"/d/{code}/moderate/log/?action=question_approved", 200),
        "log-csv": ("moderator", f"/d/{code}/moderate/log.csv", 200),
        "report-staff": ("moderator", f"/d/{code}/report/", 200),
        "report-closed": ("anon", f"/d/{closed}/report/", 200),
        "report-forbidden": ("anon", f"/d/{code}/report/", 403),
        "export-json": ("anon", f"/d/{closed}/export.json", 200),
        "export-json-live": ("moderator", f"/d/{code}/export.json", 200),
        "api-debates": ("anon", "/api/debates", 200),
        "api-state": ("anon", f"/api/d/{code}/state", 200),
        "api-state-closed": ("anon", f"/api/d/{closed}/state", 200),
        "not-found": ("anon", "/d/NOPE99/", 404),
    }
    for what in ("questions", "polls", "arguments", "log"):
        pages[f"export-csv-{what}"] = ("moderator", f"/d/{code}/export.csv?what={what}", 200)
    return pages


def _fragment_keys(s: seed.Seed) -> list[str]:
    keys = ["status", "onscreen", "questions", "queue", "polls", "presence", "log"]
    for poll in s.polls.values():
        keys += [f"poll:{poll.pk}", f"args:{poll.pk}"]
    return keys


def _override_dir() -> Path | None:
    """PostgreSQL returns JSON objects with their keys reordered (jsonb): the log's before/after read differently.
    Files that differ on PostgreSQL live in files-postgresql/ (only those); regenerate them on PostgreSQL."""
    return FILES.with_name("files-postgresql") if connection.vendor == "postgresql" else None


def _compare(name: str, content: bytes, mismatches: list[str]) -> None:
    path = FILES / name
    override = _override_dir()
    content = normalise(content)
    if UPDATE:
        if override is None:
            target = path
        elif path.exists() and path.read_bytes() == content:
            (override / name).unlink(missing_ok=True)
            return
        else:
            target = override / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        return
    if override is not None and (override / name).exists():
        path = override / name
    if not path.exists():
        mismatches.append(f"{name}: no golden file (run with UPDATE_GOLDEN=1)")
        return
    expected = path.read_bytes()
    if expected != content:
        diff = difflib.unified_diff(
            expected.decode().splitlines(), content.decode().splitlines(), "golden", "now", lineterm="", n=1
        )
        mismatches.append(f"{name}:\n" + "\n".join(line[:200] for line in list(diff)[:30]))


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_every_fragment_and_page_is_byte_for_byte_the_golden_one():
    mismatches: list[str] = []
    with time_machine.travel(seed.START, tick=False) as traveller:
        with translation.override("fr"):  # what the services store in the reader's language (option labels)
            s = seed.build(traveller)
        seen: set[str] = set()
        # Fragments: each widget alone, for every audience (role × language), as the relay would send them.
        for key in _fragment_keys(s):
            frames = fragments.render(s.debate.pk, [key], groups.AUDIENCES, 17)
            for audience in groups.AUDIENCES:
                html = "".join(f"<!-- {k} v={v} -->\n{h}\n" for k, v, h in frames.get(audience, []))
                name = f"fragments/{audience}/{key.replace(':', '-')}.html"
                seen.add(name)
                _compare(name, html.encode(), mismatches)
        # The snapshot a socket gets on connect.
        snapshot = fragments.render(s.debate.pk, None, groups.AUDIENCES, 17)
        for audience in groups.AUDIENCES:
            html = "".join(f"<!-- {k} v={v} -->\n{h}\n" for k, v, h in snapshot.get(audience, []))
            seen.add(f"fragments/{audience}/snapshot.html")
            _compare(f"fragments/{audience}/snapshot.html", html.encode(), mismatches)
        # Pages, in both languages.
        for language in LANGUAGES:
            clients = {
                "anon": _client(language),
                "moderator": _client(language, s.moderator),
                "official": _client(language, s.official),
                "moderator-htmx": _client(language, s.moderator, HTTP_HX_REQUEST="true"),
                "official-htmx": _client(language, s.official, HTTP_HX_REQUEST="true"),
                "citizen": s.citizen,
            }
            s.citizen.defaults["HTTP_ACCEPT_LANGUAGE"] = language
            for name, (who, url, status) in _pages(s).items():
                response = clients[who].get(url)
                assert response.status_code == status, (name, url, response.status_code)
                body = b"".join(response.streaming_content) if response.streaming else response.content
                ext = {"text/csv": "csv", "application/json": "json"}.get(
                    response["Content-Type"].split(";")[0], "html"
                )
                filename = f"pages/{language}/{name}.{ext}"
                seen.add(filename)
                _compare(filename, body, mismatches)
    if UPDATE:
        root = _override_dir() or FILES
        for stale in root.rglob("*"):
            if stale.is_file() and str(stale.relative_to(root)) not in seen:
                stale.unlink()
    assert not mismatches, (
        f"{len(mismatches)} golden file(s) differ (UPDATE_GOLDEN=1 regenerates them):\n\n" + "\n\n".join(mismatches)
    )
