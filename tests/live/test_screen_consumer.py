"""The projected screen's socket: the secret link is the credential; a good link gets the screen's snapshot."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from hub.asgi import application
from tests.factories import make_debate, make_moderator, make_question

pytestmark = pytest.mark.django_db(transaction=True)


def _communicator(path: str) -> WebsocketCommunicator:
    return WebsocketCommunicator(application, path, headers=[(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")])


async def _receive_all(comm: WebsocketCommunicator, want: str, limit: int = 10) -> str:
    """Frames until one contains `want` (bounded in count and time)."""
    seen = ""
    for _ in range(limit):
        frame = await comm.receive_from(timeout=5)
        seen += frame
        if want in frame:
            break
    return seen


async def test_wrong_screen_token_is_closed_with_4403():
    debate = await sync_to_async(make_debate)()
    comm = _communicator(f"/ws/d/{debate.code}/screen/not-the-token/?lang=fr")
    connected, code = await comm.connect(timeout=5)
    if connected:  # accepted at the transport, then closed by the consumer
        output = await comm.receive_output(timeout=5)
        assert output["type"] == "websocket.close" and output["code"] == 4403
    else:
        assert code == 4403
    await comm.disconnect()


async def test_good_screen_token_gets_the_snapshot_with_the_question_on_screen():
    def setup():
        from debates import services

        debate = make_debate()
        mod = make_moderator(debate)
        q = make_question(debate, text="Quand le tram arrivera-t-il au Nord ?", actor=mod)
        services.question_put_on_screen(question=q, debate=debate, actor=mod)
        return debate

    debate = await sync_to_async(setup)()
    comm = _communicator(f"/ws/d/{debate.code}/screen/{debate.screen_token}/?lang=fr")
    connected, _code = await comm.connect(timeout=5)
    assert connected
    seen = await _receive_all(comm, 'id="screen-question"')
    assert 'id="server-time"' in seen
    assert 'id="screen-question"' in seen and "Quand le tram arrivera-t-il au Nord ?" in seen
    assert 'id="screen-status"' in seen
    # The screen audience never receives the moderators' widgets.
    assert 'id="queue"' not in seen and 'id="log"' not in seen
    await comm.disconnect()
