"""The moderators' socket: authorised by role, sends the moderators' snapshot, then their live fragments."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from importlib import import_module

from debates import services, staff_sessions
from hub.asgi import application
from live.consumers import CLOSE_FORBIDDEN
from tests.factories import make_debate, make_moderator, make_official, make_question, make_user

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _session_cookie(user) -> bytes:
    """A logged-in session for user, as the Cookie header a browser would send."""
    store = import_module(settings.SESSION_ENGINE).SessionStore()  # whichever engine settings use
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    staff_sessions.start(store, user)  # what signing in adds (debates.signals)
    store.save()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}".encode()


def _communicator(code: str, cookie: bytes | None = None) -> WebsocketCommunicator:
    headers = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")]
    if cookie:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, f"/ws/d/{code}/moderate/?lang=en", headers=headers)


async def _receive_until(comm: WebsocketCommunicator, needle: str, timeout: float = 5.0) -> str:
    """Frames received until one contains needle (bounded in time)."""
    seen = ""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while needle not in seen:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"{needle!r} not received; got {seen[:500]!r}")
        seen += await comm.receive_from(timeout=remaining)
    return seen


def _world():
    debate = make_debate()
    moderator = make_moderator(debate)
    pending = make_question(debate, approve=False, text="En attente de modération ?")
    return debate, moderator, pending


async def test_moderator_gets_the_queue_snapshot():
    debate, moderator, pending = await sync_to_async(_world)()
    cookie = await sync_to_async(_session_cookie)(moderator)
    comm = _communicator(debate.code, cookie)
    connected, _code = await comm.connect(timeout=5)
    assert connected
    frames = await _receive_until(comm, 'id="mod-queue"')
    frames += await _receive_until(comm, "En attente de modération", timeout=2) if "En attente" not in frames else ""
    assert 'id="server-time"' in frames
    assert f'id="mq-{pending.pk}"' in frames
    await comm.disconnect()


async def test_moderator_sees_another_moderators_action_live():
    debate, moderator, pending = await sync_to_async(_world)()
    colleague = await sync_to_async(make_moderator)(debate)
    cookie = await sync_to_async(_session_cookie)(moderator)
    comm = _communicator(debate.code, cookie)
    assert (await comm.connect(timeout=5))[0]
    await _receive_until(comm, 'id="mod-queue"')
    await sync_to_async(services.question_approve)(question=pending, actor=colleague)
    frames = await _receive_until(comm, f'id="ma-{pending.pk}"')
    assert 'hx-swap-oob="afterbegin:#ma-list"' in frames  # one insert into the approved list
    assert f'<template id="mq-{pending.pk}" hx-swap-oob="delete"' in frames  # and out of the queue
    await comm.disconnect()


async def test_official_may_open_the_moderator_socket():
    debate, _moderator, _pending = await sync_to_async(_world)()
    official = await sync_to_async(make_official)(debate)
    comm = _communicator(debate.code, await sync_to_async(_session_cookie)(official))
    assert (await comm.connect(timeout=5))[0]
    await _receive_until(comm, 'id="mod-queue"')
    await comm.disconnect()


@pytest.mark.parametrize("who", ["citizen", "staff_without_role", "moderator_of_another_debate"])
async def test_others_cannot_open_the_moderator_socket(who):
    debate, _moderator, _pending = await sync_to_async(_world)()
    cookie = None
    if who == "staff_without_role":
        cookie = await sync_to_async(_session_cookie)(await sync_to_async(make_user)())
    elif who == "moderator_of_another_debate":
        other = await sync_to_async(make_debate)()
        cookie = await sync_to_async(_session_cookie)(await sync_to_async(make_moderator)(other))
    comm = _communicator(debate.code, cookie)
    connected, code = await comm.connect(timeout=5)
    if connected:  # accepted at the transport level, then closed by the consumer
        message = await comm.receive_output(timeout=5)
        assert message["type"] == "websocket.close"
        code = message.get("code")
    assert code == CLOSE_FORBIDDEN
    await comm.disconnect()


@pytest.mark.parametrize("how", ["signed_out_elsewhere", "older_than_the_staff_session_age", "no_epoch"])
async def test_a_session_no_longer_current_cannot_open_the_moderator_socket(how, settings):
    """A copied cookie outlives neither its sign-out nor STAFF_SESSION_AGE on the console's socket either (the
    pages refused it already: debates.staff_sessions)."""
    debate, moderator, _pending = await sync_to_async(_world)()
    cookie = await sync_to_async(_session_cookie)(moderator)
    comm = _communicator(debate.code, cookie)
    assert (await comm.connect(timeout=5))[0]  # current: the console opens
    await _receive_until(comm, 'id="mod-queue"')
    await comm.disconnect()
    if how == "signed_out_elsewhere":
        await sync_to_async(staff_sessions.revoke)(moderator)
    elif how == "older_than_the_staff_session_age":
        settings.STAFF_SESSION_AGE = -1
    else:
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        store[SESSION_KEY] = str(moderator.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = moderator.get_session_auth_hash()
        await sync_to_async(store.save)()
        cookie = f"{settings.SESSION_COOKIE_NAME}={store.session_key}".encode()
    comm = _communicator(debate.code, cookie)
    connected, code = await comm.connect(timeout=5)
    if connected:
        message = await comm.receive_output(timeout=5)
        assert message["type"] == "websocket.close", message
        code = message.get("code")
    assert code == CLOSE_FORBIDDEN
    await comm.disconnect()


async def test_a_console_tells_the_others_which_card_its_moderator_is_on():
    """Two moderators open the same queue: when Ana selects a card, Ben's console learns it (her user id, her name,
    the card), and that she handles nothing any more once her console closes. Citizens never see it; a bad card
    id is refused like any bad frame."""
    debate, ana, pending = await sync_to_async(_world)()
    ana.first_name, ana.last_name = "Ana", "<Lopez>"
    await sync_to_async(ana.save)()
    ben = await sync_to_async(make_moderator)(debate)
    ana_console = _communicator(debate.code, await sync_to_async(_session_cookie)(ana))
    ben_console = _communicator(debate.code, await sync_to_async(_session_cookie)(ben))
    citizen = WebsocketCommunicator(
        application,
        f"/ws/d/{debate.code}/?lang=en",
        headers=[(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")],
    )
    for comm in (ana_console, ben_console, citizen):
        assert (await comm.connect(timeout=5))[0]
    await _receive_until(ana_console, 'id="mod-queue"')
    await _receive_until(ben_console, 'id="mod-queue"')
    await _receive_until(citizen, 'id="questions"')
    await ana_console.send_to(text_data=json.dumps({"type": "handling", "q": pending.pk}))
    seen = await _receive_until(ben_console, "data-handling")
    assert f'data-by-id="{ana.pk}"' in seen and f'data-q="{pending.pk}"' in seen
    assert 'data-by="Ana &lt;Lopez&gt;"' in seen  # escaped
    await ana_console.send_to(text_data=json.dumps({"type": "handling", "q": "1; drop"}))
    await ana_console.disconnect()
    seen = await _receive_until(ben_console, 'data-q=""')
    assert f'data-by-id="{ana.pk}"' in seen
    assert await citizen.receive_nothing(timeout=0.5) or "data-handling" not in await citizen.receive_from()
    await ben_console.disconnect()
    await citizen.disconnect()
