"""The real application (hub.asgi) plus one bench-only HTTP route that performs a real moderator write.

POST /__bench__/write?debate=<id>&user=<id> runs `services.clock_action(action="extend")` as that moderator in a
worker thread, exactly as a moderation view would: the service checks the role, commits, and live.publish renders
the "status" widget once per audience and broadcasts it through the channel layer. The response is the version
(`data-v`, microseconds since the epoch, taken when the render's database read started) of the public status
fragment, so the load clients can measure write → receipt latency from the fragment itself.

POST /__bench__/event?debate=<id>&kind=upvote|question|argument performs one citizen event through its service, as a
newcomer would (a new participant): an upvote of a random approved question (coalesced: the flusher publishes it),
a new question (published at once in the bench's content debates) or a new argument on a random proposition. Used by
bench/content.py to measure what one event costs as the debate grows. kind=noop writes nothing: what this route
itself costs, which bench/content.py takes off the live update's figure.

Everything else goes to hub.asgi.application unchanged. Only `bench/run.py` starts a server on this module.
"""

from __future__ import annotations

import json
import random
import threading
import time
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async

import loop_profile
from hub.asgi import application as hub_application

if loop_profile.ENABLED:
    loop_profile.install()

_captured = threading.local()


def _listener(debate_id, frames):
    sink = getattr(_captured, "sink", None)
    if sink is not None:
        sink.append(frames)


def _write(debate_id: int, user_id: int) -> int:
    from django.contrib.auth import get_user_model
    from django.db import close_old_connections

    from debates import services
    from debates.models import Debate
    from live import hooks

    close_old_connections()
    # Observe without widening: the server renders only the audiences its sockets listen to, as in production.
    hooks.add_listener(_listener, every_audience=False)
    _captured.sink = sink = []
    try:
        debate = Debate.objects.get(pk=debate_id)
        actor = get_user_model().objects.get(pk=user_id)
        services.clock_action(debate=debate, actor=actor, action="extend", seconds=1)
    finally:
        _captured.sink = None
    for frames in sink:
        for key, version, _html in frames.get("public.fr", []):
            if key == "status":
                return int(version)
    return 0


_event_targets: dict[int, tuple[list[int], list[int]]] = {}
_event_rng = random.Random(7)


_top: dict[tuple[int, int], list[int]] = {}


def _top_questions(debate_id: int, n: int) -> list[int]:
    from debates.models import Question

    if (debate_id, n) not in _top:
        top = Question.objects.filter(debate_id=debate_id, status=Question.Status.APPROVED).order_by("-upvote_count")
        _top[(debate_id, n)] = list(top.values_list("pk", flat=True)[:n])
    return _top[(debate_id, n)]


def _event(debate_id: int, kind: str, among: int = 0) -> int:
    """One event; returns the CPU (ns, this thread) of the write itself: up to its commit, before what the commit
    sets off (publishing, inline for non-coalesced keys). The benchmark subtracts it to get what the live update
    costs."""
    from django.db import close_old_connections, transaction

    from debates.models import Debate, Poll, Question

    started = time.thread_time_ns()
    close_old_connections()
    debate = Debate.objects.get(pk=debate_id)
    if debate_id not in _event_targets:
        _event_targets[debate_id] = (
            list(Question.objects.filter(debate=debate, status=Question.Status.APPROVED).values_list("pk", flat=True)),
            list(Poll.objects.filter(debate=debate, kind=Poll.Kind.YES_NO_ABSTAIN).values_list("pk", flat=True)),
        )
    questions, polls = _event_targets[debate_id]
    if among:  # upvotes of the most upvoted few (what a phone's first window shows, and what a hall upvotes)
        questions = _top_questions(debate_id, among)
    with transaction.atomic():
        if kind != "noop":  # noop: the route's own cost (HTTP, the thread hop, the reads above), nothing written
            _event_write(debate, kind, questions, polls)
        write_ns = time.thread_time_ns() - started
    return write_ns


def _event_write(debate, kind: str, questions: list[int], polls: list[int]) -> None:
    from debates import services
    from debates.models import Poll, Question

    debate_id = debate.pk
    participant = services.participant_join(debate=debate, display_name="Bench")
    n = _event_rng.randrange(10**6)
    if kind == "upvote":
        services.question_upvote(
            question=Question(pk=_event_rng.choice(questions), debate_id=debate_id), participant=participant
        )
    elif kind == "question":
        services.question_submit(
            debate=debate,
            participant=participant,
            text=f"Question {n} du banc d'essai : que prévoyez-vous pour le quartier {n % 97} ?",
        )
    elif kind == "argument":
        services.argument_post(
            poll=Poll(pk=_event_rng.choice(polls), debate_id=debate_id),
            participant=participant,
            side=_event_rng.choice(["for", "against"]),
            text=f"Argument {n} du banc d'essai : le quartier {n % 97} en profiterait.",
        )
    else:
        raise ValueError(kind)


async def _empty_body(receive) -> None:
    while True:
        message = await receive()
        if not message.get("more_body"):
            break


async def _json(send, data: dict) -> None:
    body = json.dumps(data).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == "/__bench__/event":
        await _empty_body(receive)
        query = parse_qs(scope.get("query_string", b"").decode())
        from live.runtime import bind_loop

        bind_loop()
        among = int(query.get("among", ["0"])[0])
        write_ns = await sync_to_async(_event, thread_sensitive=False)(int(query["debate"][0]), query["kind"][0], among)
        await _json(send, {"ok": True, "write_ns": write_ns})
        return
    if scope["type"] == "http" and scope["path"] == "/__bench__/write":
        while True:  # drain the (empty) body
            message = await receive()
            if not message.get("more_body"):
                break
        query = parse_qs(scope.get("query_string", b"").decode())
        from live.runtime import bind_loop

        bind_loop()
        version = await sync_to_async(_write, thread_sensitive=False)(int(query["debate"][0]), int(query["user"][0]))
        body = json.dumps({"v": version}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
        return
    return await hub_application(scope, receive, send)
