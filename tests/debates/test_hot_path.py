"""Votes, upvotes and supports through the hot path (hub.hot_path + debates.views_hot), driven through the real
ASGI application.

The hot path must be invisible: the same answers, headers and cookies as the ordinary views, every refusal
explained exactly as they explain it, each write stored once, and the counts broadcast.
"""

from __future__ import annotations

import asyncio
import re
from http.cookies import SimpleCookie

import pytest
from asgiref.testing import ApplicationCommunicator
from channels.db import database_sync_to_async
from django.utils import translation

from debates import services, views_hot
from debates.models import Argument, ArgumentUpvote, Debate, Participant, QuestionUpvote, Vote
from hub import hot_path
from hub.asgi import application, django_asgi_app
from live import hooks
from tests.factories import make_debate, make_moderator, make_participant, make_poll, make_question

pytestmark = pytest.mark.django_db(transaction=True)

CSRF = "abcdefghijklmnopqrstuvwxyz012345"


def sync(fn, *args, **kwargs):
    return database_sync_to_async(fn)(*args, **kwargs)


@pytest.fixture
def batches(monkeypatch):
    """The size of every batch the group commit writes."""
    sizes: list[int] = []
    work = views_hot.ballots.work

    def counting(items):
        sizes.append(len(items))
        return work(items)

    monkeypatch.setattr(views_hot.ballots, "work", counting)
    return sizes


async def post(
    path: str,
    body: str = "",
    *,
    htmx: bool = True,
    csrf: bool = True,
    cookies: str = "",
    app=application,
    extra: tuple[tuple[bytes, bytes], ...] = (),
) -> tuple[int, dict[str, str], str, SimpleCookie]:
    headers = [
        (b"host", b"127.0.0.1"),
        (b"accept-language", b"en"),
        (b"content-type", b"application/x-www-form-urlencoded"),
        *extra,
    ]
    cookie = "; ".join(c for c in (f"csrftoken={CSRF}" if csrf else "", cookies) if c)
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    if csrf:
        headers.append((b"x-csrftoken", CSRF.encode()))
    if htmx:
        headers.append((b"hx-request", b"true"))
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
    await comm.send_input({"type": "http.request", "body": body.encode(), "more_body": False})
    start = await comm.receive_output(10)
    content = b""
    while True:
        message = await comm.receive_output(10)
        content += message.get("body", b"")
        if not message.get("more_body"):
            break
    await comm.wait(1)
    response_headers: dict[str, str] = {}
    jar = SimpleCookie()
    for key, value in start["headers"]:
        if key.lower() == b"set-cookie":
            jar.load(value.decode())
        else:
            response_headers[key.decode().lower()] = value.decode()
    return start["status"], response_headers, content.decode(), jar


def unmasked(html: str) -> str:
    """CSRF tokens in a page are masked afresh on every render; each request here is a newcomer, so the citizen's
    live_ref names another participant each time."""
    html = re.sub(
        r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value="|name="csrf-token" content=")[A-Za-z0-9]+', r"\1…", html
    )
    return re.sub(r'("live_ref": ")[^"]+', r"\1…", html)


def vote_path(debate, poll) -> str:
    return f"/d/{debate.code}/poll/{poll.pk}/vote"


async def test_a_burst_of_newcomers_is_written_in_batches_each_vote_once(batches):
    debate = await sync(make_debate)
    poll = await sync(make_poll, debate)
    options = await sync(lambda: list(poll.options.values_list("pk", flat=True)))
    answers = await asyncio.gather(*(post(vote_path(debate, poll), f"option={options[i % 3]}") for i in range(40)))
    assert [status for status, *_ in answers] == [200] * 40
    assert all("Your vote is recorded" in html for _s, _h, html, _c in answers)
    # Each newcomer became a participant, remembered in their own session cookie.
    sessions = {jar["sessionid"].value for *_rest, jar in answers}
    assert len(sessions) == 40
    assert await sync(Vote.objects.filter(poll=poll).count) == 40
    assert await sync(Participant.objects.filter(debate=debate).count) == 40
    assert sum(batches) == 40 and len(batches) < 40, batches  # grouped, not one transaction per vote


async def test_hot_answer_is_the_views_answer_headers_and_cookie_included():
    debate = await sync(make_debate)
    poll = await sync(make_poll, debate)
    option = await sync(lambda: poll.options.first().pk)
    hot = await post(vote_path(debate, poll), f"option={option}")
    plain = await post(vote_path(debate, poll), f"option={option}", app=django_asgi_app)
    assert hot[0] == plain[0] == 200 and hot[2] == plain[2]
    timing = {"server-timing"}  # present on both, its duration differs by nature
    assert "server-timing" in hot[1] and "server-timing" in plain[1]
    assert {k: v for k, v in hot[1].items() if k not in timing} == {
        k: v for k, v in plain[1].items() if k not in timing
    }  # X-Frame-Options, nosniff, Vary, Content-Language…
    assert set(hot[3]) == set(plain[3]) == {"sessionid"}
    assert hot[3]["sessionid"]["httponly"] and hot[3]["sessionid"]["samesite"] == plain[3]["sessionid"]["samesite"]


async def test_a_returning_voter_changes_their_vote_and_keeps_their_identity():
    debate = await sync(make_debate)
    poll = await sync(make_poll, debate)
    yes, no, _abstain = await sync(lambda: list(poll.options.values_list("pk", flat=True)))
    _s, _h, _html, jar = await post(vote_path(debate, poll), f"option={yes}")
    session = f"sessionid={jar['sessionid'].value}"
    status, _h, _html, again = await post(vote_path(debate, poll), f"option={no}", cookies=session)
    assert status == 200 and "sessionid" not in again  # the session did not change: no new cookie
    votes = await sync(lambda: list(Vote.objects.filter(poll=poll).values_list("option_id", flat=True)))
    assert votes == [no]
    assert await sync(Participant.objects.filter(debate=debate).count) == 1


@pytest.mark.parametrize(
    "case", ["closed", "foreign option", "malformed option", "unknown poll", "draft debate", "no csrf", "no htmx"]
)
async def test_refusals_are_the_views_own(case):
    debate = await sync(make_debate, status=Debate.Status.DRAFT if case == "draft debate" else Debate.Status.LIVE)
    moderator = await sync(make_moderator, debate)
    poll = await sync(make_poll, debate, actor=moderator)
    other = await sync(make_poll, debate, actor=moderator)
    option = await sync(lambda: (other if case == "foreign option" else poll).options.first().pk)
    if case == "closed":
        await sync(services.poll_close, poll=poll, actor=moderator)
    path = vote_path(debate, poll) if case != "unknown poll" else f"/d/{debate.code}/poll/999999/vote"
    body = "option=abc" if case == "malformed option" else f"option={option}"
    kwargs = {"htmx": case != "no htmx", "csrf": case != "no csrf"}
    hot = await post(path, body, **kwargs)
    plain = await post(path, body, app=django_asgi_app, **kwargs)
    expected = {
        "closed": 409,
        "foreign option": 400,
        "malformed option": 400,
        "unknown poll": 404,
        "draft debate": 404,
        "no csrf": 403,
        "no htmx": 302,
    }[case]
    assert hot[0] == plain[0] == expected
    assert unmasked(hot[2]) == unmasked(plain[2])
    if case == "no htmx":  # a plain form post: redirected to the poll, and the vote stored
        assert await sync(Vote.objects.count) == 2
    else:
        assert await sync(Vote.objects.count) == 0


async def test_the_count_is_broadcast_after_a_hot_vote():
    debate = await sync(make_debate)
    poll = await sync(make_poll, debate)
    option = await sync(lambda: poll.options.first().pk)
    sent: list[str] = []
    listener = lambda _debate_id, frames: sent.extend(h for _k, _v, h in frames.get("public.en", []))  # noqa: E731
    with hooks.listening(listener):
        assert (await post(vote_path(debate, poll), f"option={option}"))[0] == 200
        for _ in range(50):
            if any(f'id="poll-{poll.pk}-results"' in html and "1 vote" in html for html in sent):
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail(f"no broadcast of the new count: {sent!r}")


async def test_a_failing_batch_is_replayed_vote_by_vote_through_django(monkeypatch):
    debate = await sync(make_debate)
    poll = await sync(make_poll, debate)
    option = await sync(lambda: poll.options.first().pk)

    def broken(items):
        raise RuntimeError("database went away")

    monkeypatch.setattr(views_hot.ballots, "work", broken)
    # One after the other: concurrent writes through Django would trip over the in-memory SQLite test database.
    answers = [await post(vote_path(debate, poll), f"option={option}") for _ in range(3)]
    assert [a[0] for a in answers] == [200] * 3 and all("Your vote is recorded" in a[2] for a in answers)
    assert await sync(Vote.objects.filter(poll=poll).count) == 3


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def test_vote_cast_many_applies_vote_casts_rules_per_ballot(broadcasts, english):
    debate, elsewhere = make_debate(), make_debate()
    poll, foreign = make_poll(debate), make_poll(elsewhere)
    yes, no, _abstain = poll.options.all()
    regular = make_participant(debate)
    outsider = make_participant(elsewhere)
    ballots = [
        services.Ballot(debate.code, poll.pk, yes.pk, {str(debate.pk): regular.pk}),
        services.Ballot(debate.code, poll.pk, no.pk, {str(debate.pk): regular.pk}),  # changed their mind: wins
        services.Ballot(debate.code.lower(), poll.pk, yes.pk, {}),  # newcomer
        services.Ballot(debate.code, poll.pk, yes.pk, {str(debate.pk): outsider.pk}),  # not theirs: newcomer
        services.Ballot(debate.code, foreign.pk, foreign.options.first().pk, {}),  # poll of another debate
        services.Ballot(debate.code, poll.pk, foreign.options.first().pk, {}),  # option of another poll
        services.Ballot("NOPE99", poll.pk, yes.pk, {}),
    ]
    outcome = services.vote_cast_many(ballots)
    assert outcome[0] == outcome[1] == (debate.pk, regular.pk)
    assert outcome[2][0] == outcome[3][0] == debate.pk and len({outcome[2][1], outcome[3][1], regular.pk}) == 3
    assert [(o.status, o.message) for o in outcome[4:]] == [
        (404, "not found"),
        (400, "This option does not belong to this poll."),
        (404, "not found"),
    ]
    stored = dict(Vote.objects.values_list("participant_id", "option_id"))
    assert stored == {regular.pk: no.pk, outcome[2][1]: yes.pk, outcome[3][1]: yes.pk}
    assert f"poll:{poll.pk}" in broadcasts.keys() and "3 votes" in broadcasts.html()


def test_vote_cast_many_refuses_closed_polls_and_closed_debates(english):
    debate = make_debate()
    moderator = make_moderator(debate)
    poll = make_poll(debate, actor=moderator)
    services.poll_close(poll=poll, actor=moderator)
    [refused] = services.vote_cast_many([services.Ballot(debate.code, poll.pk, poll.options.first().pk, {})])
    assert (refused.status, refused.message) == (409, "This poll is closed: votes are no longer accepted.")
    live = make_poll(debate, actor=moderator)
    Debate.objects.filter(pk=debate.pk).update(status=Debate.Status.CLOSED)
    [refused] = services.vote_cast_many([services.Ballot(debate.code, live.pk, live.options.first().pk, {})])
    assert (refused.status, refused.message) == (409, "This debate is closed: posting and voting are over.")
    assert Vote.objects.count() == 0 and Participant.objects.count() == 0


def test_a_middleware_the_hot_path_cannot_reproduce_turns_it_off(settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "tests.debates.test_hot_path.plain_function_middleware"]
    assert not hot_path.HotPath(django_asgi_app, views_hot.HOT_VIEWS).enabled
    settings.MIDDLEWARE = settings.MIDDLEWARE[:-1]
    assert hot_path.HotPath(django_asgi_app, views_hot.HOT_VIEWS).enabled
    settings.HOT_PATH = False
    assert not hot_path.HotPath(django_asgi_app, views_hot.HOT_VIEWS).enabled


def plain_function_middleware(get_response):
    return get_response


async def test_a_failure_after_the_vote_is_stored_is_a_500_never_a_second_vote(monkeypatch):
    debate = await sync(make_debate)
    poll = await sync(make_poll, debate)
    option = await sync(lambda: poll.options.first().pk)
    monkeypatch.setattr(views_hot, "_flash_cache", {})

    def broken(*args, **kwargs):
        raise RuntimeError("template went away")

    monkeypatch.setattr(views_hot.views, "flash_html", broken)
    status, _h, _html, _jar = await post(vote_path(debate, poll), f"option={option}")
    assert status == 500
    assert await sync(Vote.objects.filter(poll=poll).count) == 1
    assert await sync(Participant.objects.filter(debate=debate).count) == 1


# --- upvotes and supports -----------------------------------------------------------------------------------------
def make_argument(debate, poll, status=Argument.Status.VISIBLE):
    arg = services.argument_post(poll=poll, participant=make_participant(debate), side="for", text="Un argument.")
    Argument.objects.filter(pk=arg.pk).update(status=status)
    return arg


async def test_an_upvote_burst_counts_each_citizen_once():
    debate = await sync(make_debate, premoderation=False)
    question = await sync(make_question, debate)
    path = f"/d/{debate.code}/q/{question.pk}/upvote"
    answers = await asyncio.gather(*(post(path) for _ in range(30)))
    assert [a[0] for a in answers] == [200] * 30 and all("Upvote counted" in a[2] for a in answers)
    await sync(question.refresh_from_db)
    assert question.upvote_count == 30 == await sync(QuestionUpvote.objects.filter(question=question).count)
    # A citizen who upvotes again, even twice at once, is refused by the view's own words; the count holds.
    session = f"sessionid={answers[0][3]['sessionid'].value}"
    again = await asyncio.gather(post(path, cookies=session), post(path, cookies=session))
    assert [a[0] for a in again] == [409, 409] and all("already upvoted" in a[2] for a in again)
    await sync(question.refresh_from_db)
    assert question.upvote_count == 30


async def test_two_upvotes_of_one_citizen_in_one_burst_count_once(english):
    debate = await sync(make_debate, premoderation=False)
    question = await sync(make_question, debate)
    voter = await sync(make_participant, debate)
    session = {str(debate.pk): voter.pk}
    outcome = await sync(services.question_upvote_many, [services.Upvote(debate.code, question.pk, session)] * 2)
    assert outcome[0] == (debate.pk, voter.pk)
    assert (outcome[1].status, outcome[1].message) == (409, "You have already upvoted this question.")
    await sync(question.refresh_from_db)
    assert question.upvote_count == 1


@pytest.mark.parametrize("case", ["pending question", "unknown question", "closed debate", "no htmx"])
async def test_upvote_refusals_are_the_views_own(case):
    debate = await sync(make_debate, premoderation=True)
    question = await sync(make_question, debate, approve=case != "pending question")
    if case == "closed debate":
        await sync(Debate.objects.filter(pk=debate.pk).update, status=Debate.Status.CLOSED)
    path = f"/d/{debate.code}/q/{question.pk if case != 'unknown question' else 999999}/upvote"
    hot = await post(path, htmx=case != "no htmx")
    plain = await post(path, htmx=case != "no htmx", app=django_asgi_app)
    expected = {"pending question": 409, "unknown question": 404, "closed debate": 409, "no htmx": 302}[case]
    assert hot[0] == plain[0] == expected and unmasked(hot[2]) == unmasked(plain[2])
    stored = await sync(QuestionUpvote.objects.count)
    assert stored == (2 if case == "no htmx" else 0)  # two form posts without a session: two newcomers, each counted


def test_an_upvote_burst_crossing_the_trending_threshold_tells_the_moderators(broadcasts):
    debate = make_debate(premoderation=False, trending_threshold=3)
    question = make_question(debate)
    broadcasts.clear()
    services.question_upvote_many([services.Upvote(debate.code, question.pk, {}) for _ in range(2)])
    assert "queue" not in broadcasts.keys()
    services.question_upvote_many([services.Upvote(debate.code, question.pk, {}) for _ in range(2)])
    assert {"questions", "queue"} <= broadcasts.keys()
    question.refresh_from_db()
    assert question.upvote_count == 4


async def test_a_support_burst_counts_each_citizen_once_and_refuses_hidden_arguments():
    debate = await sync(make_debate)
    poll = await sync(make_poll, debate)
    visible = await sync(make_argument, debate, poll)
    hidden = await sync(make_argument, debate, poll, Argument.Status.HIDDEN)
    answers = await asyncio.gather(*(post(f"/d/{debate.code}/arg/{visible.pk}/support") for _ in range(20)))
    assert [a[0] for a in answers] == [200] * 20 and all("Support counted" in a[2] for a in answers)
    assert await sync(ArgumentUpvote.objects.filter(argument=visible).count) == 20
    await sync(visible.refresh_from_db)
    assert visible.support_count == 20  # counted in the burst's own transaction (the windows read it)
    session = f"sessionid={answers[0][3]['sessionid'].value}"
    again = await post(f"/d/{debate.code}/arg/{visible.pk}/support", cookies=session)
    assert again[0] == 409 and "already support" in again[2]
    refused = await post(f"/d/{debate.code}/arg/{hidden.pk}/support")
    assert refused[0] == 409 and await sync(ArgumentUpvote.objects.filter(argument=hidden).count) == 0


async def test_refusals_are_answered_on_the_loop_without_a_replay(monkeypatch):
    """One implementation per rule: the hot handler explains a refusal itself (the view's words and status)."""
    debate = await sync(make_debate)
    moderator = await sync(make_moderator, debate)
    poll = await sync(make_poll, debate, actor=moderator)
    option = await sync(lambda: poll.options.first().pk)
    await sync(services.poll_close, poll=poll, actor=moderator)
    replays: list[str] = []
    original = type(django_asgi_app).__call__

    async def counting(self, scope, receive, send):
        replays.append(scope["path"])
        return await original(self, scope, receive, send)

    monkeypatch.setattr(type(django_asgi_app), "__call__", counting)
    status, _h, html, _c = await post(vote_path(debate, poll), f"option={option}")
    assert status == 409 and "This poll is closed" in html and replays == []
    status, _h, _html, _c = await post(f"/d/{debate.code}/poll/999999/vote", f"option={option}")
    assert status == 404 and replays == [f"/d/{debate.code}/poll/999999/vote"]  # the 404 page is the view's


async def test_newcomers_on_the_hot_path_count_towards_the_per_address_limit(settings):
    """The hot path makes participants too: past `participant_per_address` new ones from one address are refused
    with the view's own 429 (nothing stored), while a returning participant still votes there."""
    settings.RATE_LIMITS = {"participant_per_address": "5/60"}
    debate = await sync(make_debate)
    poll = await sync(make_poll, debate)
    option = await sync(lambda: poll.options.first().pk)
    first = await post(vote_path(debate, poll), f"option={option}")
    assert first[0] == 200
    returning = f"sessionid={first[3]['sessionid'].value}"
    answers = [await post(vote_path(debate, poll), f"option={option}") for _ in range(6)]
    assert [status for status, *_ in answers] == [200] * 4 + [429] * 2
    assert "Too many attempts" in answers[-1][2]
    assert await sync(Participant.objects.filter(debate=debate).count) == 5
    assert (await post(vote_path(debate, poll), f"option={option}", cookies=returning))[0] == 200
    assert await sync(Vote.objects.filter(poll=poll).count) == 5


async def test_a_burst_of_newcomers_is_counted_together_and_still_stops_at_the_limit(settings):
    """Newcomers arriving together are counted in one batch (one round trip to the limit's store): of 8 at once
    with room for 5, exactly 5 become participants and vote, 3 get the 429."""
    settings.RATE_LIMITS = {"participant_per_address": "5/60"}
    debate = await sync(make_debate)
    poll = await sync(make_poll, debate)
    option = await sync(lambda: poll.options.first().pk)
    answers = await asyncio.gather(*(post(vote_path(debate, poll), f"option={option}") for _ in range(8)))
    assert sorted(status for status, *_ in answers) == [200] * 5 + [429] * 3
    assert await sync(Participant.objects.filter(debate=debate).count) == 5
    assert await sync(Vote.objects.filter(poll=poll).count) == 5


def test_the_hot_path_serves_under_the_projects_own_settings():
    """It switches itself off (logged once) under a middleware or session engine it cannot run on the loop: twice a
    settings change did so unnoticed. Under the shipped settings it must be on."""
    from django.conf import settings

    assert hot_path.unservable(settings.MIDDLEWARE, settings.SESSION_ENGINE) is None


def test_a_path_is_resolved_once_while_the_urlconf_stays_the_same(settings):
    from django.urls import path

    hot = hot_path.HotPath(django_asgi_app, views_hot.HOT_VIEWS)
    scope = {"path": "/d/ABC123/poll/7/vote", "root_path": ""}
    first = hot._hot_match(scope)
    assert first is not None and first.func in views_hot.HOT_VIEWS and first.kwargs["poll_id"] == 7
    assert hot._hot_match(scope) is first  # remembered
    assert hot._hot_match({"path": "/d/ABC123/ask", "root_path": ""}) is None  # not a hot view
    assert hot._hot_match({"path": "/nowhere", "root_path": ""}) is None
    # Another URLconf (another resolver): resolved again, under its own patterns.
    settings.ROOT_URLCONF = type("Conf", (), {"urlpatterns": [path("elsewhere/", lambda r: None)]})
    assert hot._hot_match(scope) is None
    settings.ROOT_URLCONF = "hub.urls"
    again = hot._hot_match(scope)
    assert again is not None and again is not first and again.kwargs == first.kwargs
