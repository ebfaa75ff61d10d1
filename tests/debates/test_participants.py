"""Who a citizen's request is: the session's participant, else the one their browser's client key made, else a new
one; and the hot path only where it can run on the event loop."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from asgiref.testing import ApplicationCommunicator

from debates import services, views_hot
from debates.models import Participant, Vote
from hub import hot_path
from hub.asgi import django_asgi_app
from tests.factories import make_debate, make_poll

pytestmark = pytest.mark.django_db

KEY = "0f8c6a52-5f0e-4d7e-9a43-2b7b8f7e9c11"


def test_a_retried_first_vote_whose_answer_was_lost_makes_no_second_participant(client):
    debate = make_debate()
    poll = make_poll(debate)
    yes, no, _abstain = poll.options.all()
    path = f"/d/{debate.code}/poll/{poll.pk}/vote"
    assert client.post(path, {"option": yes.pk}, HTTP_HX_REQUEST="true", HTTP_X_CLIENT_KEY=KEY).status_code == 200
    client.cookies.clear()  # the answer, with its session cookie, never arrived; the browser retries
    assert client.post(path, {"option": no.pk}, HTTP_HX_REQUEST="true", HTTP_X_CLIENT_KEY=KEY).status_code == 200
    assert Participant.objects.filter(debate=debate).count() == 1
    assert list(Vote.objects.values_list("option_id", flat=True)) == [no.pk]


def test_one_newcomer_twice_in_one_burst_is_one_participant_and_keys_are_per_debate():
    debate, other = make_debate(), make_debate()
    poll, elsewhere = make_poll(debate), make_poll(other)
    option, foreign = poll.options.first().pk, elsewhere.options.first().pk
    outcome = services.vote_cast_many(
        [
            services.Ballot(debate.code, poll.pk, option, {}, KEY),
            services.Ballot(debate.code, poll.pk, option, {}, KEY),
            services.Ballot(other.code, elsewhere.pk, foreign, {}, KEY),
        ]
    )
    assert outcome[0] == outcome[1] and outcome[2].debate_id == other.pk
    assert Participant.objects.filter(client_key=KEY).count() == 2  # one per debate
    assert Vote.objects.count() == 2


def test_a_malformed_client_key_is_ignored(client):
    debate = make_debate()
    poll = make_poll(debate)
    path = f"/d/{debate.code}/poll/{poll.pk}/vote"
    for _ in range(2):
        client.cookies.clear()
        client.post(path, {"option": poll.options.first().pk}, HTTP_HX_REQUEST="true", HTTP_X_CLIENT_KEY="short")
    assert Participant.objects.filter(debate=debate, client_key=None).count() == 2


@pytest.mark.parametrize(
    "engine",
    [
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cache",
        "django.contrib.sessions.backends.cached_db",
    ],
)
def test_the_hot_path_is_off_under_a_session_engine_that_does_io(settings, engine):
    settings.SESSION_ENGINE = engine
    assert not hot_path.HotPath(django_asgi_app, views_hot.HOT_VIEWS).enabled


class UnknownMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)


from django.utils.deprecation import MiddlewareMixin  # noqa: E402


class UnvettedMixinMiddleware(MiddlewareMixin):
    def process_request(self, request):
        return None


@pytest.mark.parametrize(
    "path",
    ["tests.debates.test_participants.UnknownMiddleware", "tests.debates.test_participants.UnvettedMixinMiddleware"],
)
def test_the_hot_path_is_off_under_a_middleware_it_does_not_know(settings, path):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, path]
    assert not hot_path.HotPath(django_asgi_app, views_hot.HOT_VIEWS).enabled


@pytest.mark.django_db(transaction=True)
async def test_a_new_voter_under_the_database_session_engine_is_answered_not_500(settings):
    from channels.db import database_sync_to_async

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    app = hot_path.HotPath(django_asgi_app, views_hot.HOT_VIEWS)
    debate = await database_sync_to_async(make_debate)()
    poll = await database_sync_to_async(make_poll)(debate)
    option = await database_sync_to_async(lambda: poll.options.first().pk)()
    path = f"/d/{debate.code}/poll/{poll.pk}/vote"
    csrf = "abcdefghijklmnopqrstuvwxyz012345"
    headers = [
        (b"host", b"127.0.0.1"),
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"cookie", f"csrftoken={csrf}".encode()),
        (b"x-csrftoken", csrf.encode()),
        (b"hx-request", b"true"),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    comm = ApplicationCommunicator(app, scope)
    await comm.send_input({"type": "http.request", "body": f"option={option}".encode(), "more_body": False})
    start = await comm.receive_output(10)
    assert start["status"] == 200
    await comm.wait(5)
    assert await database_sync_to_async(Participant.objects.filter(debate=debate).count)() == 1


def test_the_hot_path_is_on_under_production_settings():
    """DEBUG=0 with the shipped settings: the middleware and session engine are ones the hot path serves."""
    code = (
        "import django; django.setup(); from hub.asgi import HOT_VIEWS, django_asgi_app; "
        "from hub.hot_path import HotPath; print(HotPath(django_asgi_app, HOT_VIEWS).enabled)"
    )
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "hub.settings"}
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "True"


def test_a_retried_first_proposal_support_in_a_burst_makes_no_second_participant():
    from tests.consult.factories import make_consultation, make_proposal

    debate = make_consultation(threshold=10)
    proposal = make_proposal(debate)
    support = services.Upvote(debate.code, proposal.pk, {}, KEY)
    services.proposal_support_many([support])  # its answer, with the session cookie, never arrived
    services.proposal_support_many([support])  # the browser retries with the same client key: the same citizen
    assert Participant.objects.filter(debate=debate, client_key=KEY).count() == 1
    assert proposal.supports.count() == 1
