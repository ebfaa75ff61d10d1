"""Hostile input on every route and field: never a 5xx (issue 12, item 4).

Table-driven: each hostile value is posted to (or put in the query or path of) every route and field a citizen,
a moderator, an official or a stranger can reach. A NUL byte is refused by PostgreSQL ("string literal cannot
contain NUL"), a number beyond 64 bits by both databases: before the fix, 14 of these answered 500.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client

from debates.models import DebateRole
from tests.factories import make_debate, make_moderator, make_official, make_participant, make_poll, make_question
from debates import services

pytestmark = pytest.mark.django_db

HOSTILE = {
    "nul": "MA\x00RE7",
    "nul-only": "\x00",
    "controls": "a\x01\x07\x1b[31mb\x7f",
    "bidi": "\u202eevil\u2066x\u2069",
    "long": "x" * 20_000,
    "huge-number": "9" * 40,
    "big-int": str(2**63),
    "negative": "-1",
    "float": "1e308",
    "empty": "",
    "unicode-nonchar": "\uffff\ufdd0",
    "lone-surrogate-escaped": "%ED%A0%80",
}

ACTION_FIELDS = (
    "question",
    "into",
    "reason",
    "text",
    "participant",
    "argument",
    "poll",
    "kind",
    "options",
    "results",
    "open_now",
    "clock_action",
    "seconds",
    "status",
)
ACTIONS = (
    "approve",
    "reject",
    "edit",
    "merge",
    "star",
    "unstar",
    "onscreen",
    "clear_screen",
    "answered",
    "answer",
    "mute",
    "unmute",
    "arg_hide",
    "arg_restore",
    "poll_create",
    "poll_open",
    "poll_close",
    "clock",
    "status",
    "regenerate_screen",
)
SETTINGS_FIELDS = (
    "title",
    "description",
    "premoderation",
    "allow_anonymous",
    "question_max_length",
    "argument_max_length",
    "trending_threshold",
    "clock_warning_seconds",
    "screen_theme",
    "word_filter",
    "language",
    "time_zone",
)


@pytest.fixture
def world():
    debate = make_debate(premoderation=False)
    moderator = make_moderator(debate, username="mod")
    official = make_official(debate, username="off")
    poll = make_poll(debate, actor=moderator)
    question = make_question(debate)
    arg = services.argument_post(poll=poll, participant=make_participant(debate), side="for", text="Un argument.")
    return {
        "debate": debate,
        "moderator": moderator,
        "official": official,
        "poll": poll,
        "question": question,
        "argument": arg,
    }


def requests_for(value: str, w: dict) -> list[tuple[str, str, dict, str]]:
    """(method, path, data, who) for every route and field with `value` put in it."""
    code = w["debate"].code
    q, poll, arg = w["question"].pk, w["poll"].pk, w["argument"].pk
    path_value = value if value.startswith("%") else quote(value, safe="")
    d = f"/d/{code}"
    out: list[tuple[str, str, dict, str]] = []
    # In the path, where a code, an id, a token or a format goes.
    for tail in (
        "/",
        "/me",
        "/report/",
        "/export.json",
        "/export.csv",
        f"/screen/{w['debate'].screen_token}/",
        "/moderate/",
        "/moderate/log/",
        "/moderate/log.csv",
        "/moderate/settings/",
    ):
        out.append(("GET", f"/d/{path_value}{tail}", {}, "moderator"))
        out.append(("GET", f"/d/{path_value}{tail}", {}, "citizen"))
    out += [
        ("GET", f"/{path_value}", {}, "citizen"),
        ("GET", f"/api/d/{path_value}/state", {}, "citizen"),
        ("GET", f"{d}/screen/{path_value}/", {}, "citizen"),
        ("GET", f"{d}/export.{path_value}", {}, "moderator"),
    ]
    for tail in (
        "ask",
        "name",
        f"q/{path_value}/upvote",
        f"poll/{path_value}/vote",
        f"poll/{path_value}/argue",
        f"arg/{path_value}/support",
    ):
        out.append(
            ("POST", f"/d/{path_value}/{tail}" if "/" not in tail else f"{d}/{tail}", {"text": "Bonjour ?"}, "citizen")
        )
    # In the query string.
    out += [
        ("GET", "/", {"code": value}, "citizen"),
        ("GET", f"{d}/export.csv", {"what": value}, "moderator"),
        ("GET", f"{d}/screen/{w['debate'].screen_token}/", {"theme": value}, "citizen"),
    ]
    for page in ("log/", "log.csv"):
        out.append(
            (
                "GET",
                f"{d}/moderate/{page}",
                {"action": value, "actor": value, "object_type": value, "page": value},
                "moderator",
            )
        )
    out.append(("GET", "/admin/debates/debate/", {"q": value}, "superuser"))
    out.append(("GET", "/admin/debates/question/", {"q": value, "status": value}, "superuser"))
    # In form fields: citizens.
    out += [
        ("POST", f"{d}/ask", {"text": value}, "citizen"),
        ("POST", f"{d}/ask", {"text": "Une vraie question ?", "display_name": value}, "citizen"),
        ("POST", f"{d}/name", {"display_name": value}, "citizen"),
        ("POST", f"{d}/poll/{poll}/vote", {"option": value}, "citizen"),
        ("POST", f"{d}/poll/{poll}/argue", {"side": value, "text": value}, "citizen"),
        ("POST", f"{d}/poll/{poll}/argue", {"side": "for", "text": value}, "citizen"),
        ("POST", f"{d}/q/{q}/upvote", {"anchor": value}, "citizen"),
        ("POST", f"{d}/arg/{arg}/support", {}, "citizen"),
        ("POST", "/i18n/setlang/", {"language": value, "next": value}, "citizen"),
        ("POST", "/accounts/login/", {"username": value, "password": value}, "citizen"),
    ]
    # Console actions, settings and roles: moderators and officials.
    for action in ACTIONS:
        out.append(("POST", f"{d}/moderate/act", {"action": action, **{f: value for f in ACTION_FIELDS}}, "moderator"))
        out.append(
            (
                "POST",
                f"{d}/moderate/act",
                {
                    "action": action,
                    "question": q,
                    "text": value,
                    "reason": value,
                    "options": f"{value}\n{value}b",
                    "poll": poll,
                    "argument": arg,
                },
                "moderator",
            )
        )
    out.append(("POST", f"{d}/moderate/act", {"action": "answer", "question": q, "text": value}, "official"))
    out.append(("POST", f"{d}/moderate/act", {"action": value}, "moderator"))
    out.append(("POST", f"{d}/moderate/settings/", {f: value for f in SETTINGS_FIELDS}, "moderator"))
    out.append(
        (
            "POST",
            f"{d}/moderate/settings/",
            {"form": "role", "username": value, "role": value, "title": value},
            "superuser",
        )
    )
    out.append(("POST", f"{d}/moderate/settings/", {"form": "remove_role", "role": value}, "superuser"))
    return out


def _client(who: str, w: dict, clients: dict) -> Client:
    if who not in clients:
        c = Client(HTTP_ACCEPT_LANGUAGE="en")
        if who == "moderator":
            c.force_login(w["moderator"])
        elif who == "official":
            c.force_login(w["official"])
        elif who == "superuser":
            from tests.factories import make_user

            user = make_user(is_superuser=True, is_staff=True)
            DebateRole.objects.create(debate=w["debate"], user=user, role=DebateRole.Role.MODERATOR)
            c.force_login(user)
        clients[who] = c
    return clients[who]


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_no_route_answers_5xx_to_hostile_input(world, name, htmx):
    value = HOSTILE[name]
    clients: dict[str, Client] = {}
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    failures = []
    for method, path, data, who in requests_for(value, world):
        if htmx and method == "GET":
            continue  # pages answer htmx and plain requests alike; writes differ (fragment or redirect)
        client = _client(who, world, clients)
        try:
            if method == "GET":
                response = client.get(path, data, **headers)
            else:
                response = client.post(path, data, **headers)
        except Exception as exc:  # the test client re-raises what the view raised: a 500 in production
            failures.append(f"{method} {path} {sorted(data)} ({who}): {exc!r}"[:300])
            continue
        if response.status_code >= 500:
            failures.append(f"{method} {path} {sorted(data)} ({who}): {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("htmx", [False, True], ids=["form", "htmx"])
def test_wrong_types_repeated_fields_and_json_bodies(world, htmx):
    """Fields sent twice (lists), JSON instead of a form, a form body on a GET-only route: no 5xx."""
    d = f"/d/{world['debate'].code}"
    citizen, moderator = Client(), Client()
    moderator.force_login(world["moderator"])
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    checks = [
        citizen.post(f"{d}/ask", {"text": ["a ?", "b ?"], "display_name": ["x", "y"]}, **headers),
        citizen.post(f"{d}/poll/{world['poll'].pk}/vote", {"option": ["1", "2"]}, **headers),
        citizen.post(f"{d}/ask", data='{"text": ["x"]}', content_type="application/json", **headers),
        citizen.post(f"{d}/name", data=b"\xff\xfe\x00", content_type="application/x-www-form-urlencoded", **headers),
        moderator.post(f"{d}/moderate/act", {"action": ["approve", "reject"], "question": ["1", "2"]}, **headers),
        moderator.post(f"{d}/moderate/act", data='{"action": "approve"}', content_type="application/json", **headers),
        citizen.post(f"{d}/", {"x": "y"}, **headers),
        citizen.put(f"{d}/ask", "text=x", **headers),
    ]
    assert [r.status_code for r in checks if r.status_code >= 500] == []
