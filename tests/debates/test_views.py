"""Citizen HTTP: pages, writes with htmx and without JavaScript, bad input, the JSON APIs."""

from __future__ import annotations

import pytest
from django.test import Client

from debates import selectors, services
from debates.models import Argument, Debate, Poll, Question, QuestionUpvote, Vote
from tests.factories import make_debate, make_moderator, make_official, make_participant, make_poll, make_question

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def url(debate, tail=""):
    return f"/d/{debate.code}/{tail}"


def session_participant(client, debate):
    pid = client.session["participants"][str(debate.pk)]
    return debate.participants.get(pk=pid)


# --- pages --------------------------------------------------------------------------------------------------------
def test_home_lists_live_and_upcoming_debates_not_drafts(client):
    live = make_debate(title="Conseil de quartier")
    scheduled = make_debate(title="Budget 2027", status=Debate.Status.SCHEDULED)
    draft = make_debate(title="Brouillon secret", status=Debate.Status.DRAFT)
    html = client.get("/").content.decode()
    assert live.title in html and scheduled.title in html and draft.title not in html
    assert 'name="code"' in html


def test_join_by_code(client):
    debate = make_debate()
    r = client.get("/", {"code": debate.code.lower()})
    assert r.status_code == 302 and r["Location"] == url(debate)
    r = client.get("/", {"code": "ZZZZZZ"})
    assert r.status_code == 404 and "ZZZZZZ" in r.content.decode()
    r = client.get(f"/{debate.code}")
    assert r.status_code == 302 and r["Location"] == url(debate)
    r = client.get(f"/{debate.code.lower()}/")
    assert r.status_code == 302 and r["Location"] == url(debate)


@pytest.mark.parametrize("path", ["/d/ZZZZZZ/", "/ZZZZZZ", "/d/ZZZZZZ/ask"])
def test_unknown_code_gives_a_friendly_404_page(client, path):
    r = client.get(path) if not path.endswith("ask") else client.post(path, {"text": "Une question ?"})
    assert r.status_code == 404
    html = r.content.decode()
    assert "We could not find this debate" in html and 'name="code"' in html
    assert Question.objects.count() == 0


def test_draft_debate_is_not_public(client):
    debate = make_debate(status=Debate.Status.DRAFT)
    assert client.get(url(debate)).status_code == 404
    assert client.get(f"/api/d/{debate.code}/state").status_code == 404


def test_citizen_page_has_every_live_widget_and_states_its_modes(client):
    debate = make_debate(premoderation=True)
    make_poll(debate, results=Poll.Results.HIDDEN)
    q = make_question(debate, text="Où en est le tramway ?")
    html = client.get(url(debate)).content.decode()
    for widget_id in ("status", "onscreen", "polls", "questions", "presence", "ask-form", "conn", "me"):
        assert f'id="{widget_id}"' in html, widget_id
    assert f'ws-connect="/ws/d/{debate.code}/?lang=en"' in html
    assert "Où en est le tramway ?" in html and f'id="q-{q.pk}"' in html
    assert "checked by a moderator" in html
    assert "Results hidden until the poll closes" in html
    assert 'name="csrfmiddlewaretoken"' in html
    # Nobody is created by just looking.
    assert debate.participants.count() == 1  # the question's author and nobody else


def test_citizen_page_in_french_by_browser_language():
    debate = make_debate()
    html = Client(HTTP_ACCEPT_LANGUAGE="fr").get(url(debate)).content.decode()
    assert '<html lang="fr" dir="ltr">' in html and "?lang=fr" in html


def test_closed_debate_shows_final_results_and_no_forms(client):
    debate = make_debate()
    mod = make_moderator(debate)
    poll = make_poll(debate, actor=mod)
    services.vote_cast(poll=poll, participant=make_participant(debate), option_id=poll.options.first().pk)
    services.debate_set_status(debate=debate, status=Debate.Status.CLOSED, actor=mod)
    html = client.get(url(debate)).content.decode()
    assert "closed" in html.lower() and f"/poll/{poll.pk}/vote" not in html and 'id="argue-' not in html
    assert "1 vote" in html


# --- asking -------------------------------------------------------------------------------------------------------
def test_ask_without_javascript_redirects_and_shows_the_message(client):
    debate = make_debate(premoderation=True)
    r = client.post(url(debate, "ask"), {"text": "Pourquoi pas de bus le dimanche ?", "anchor": "questions"})
    assert r.status_code == 302 and r["Location"].startswith(url(debate))
    q = Question.objects.get()
    assert q.status == "pending" and q.author == session_participant(client, debate)
    html = client.get(r["Location"]).content.decode()
    assert "awaiting moderation" in html


def test_ask_with_htmx_returns_flash_and_my_state(client):
    debate = make_debate(premoderation=False)
    r = client.post(url(debate, "ask"), {"text": "Pourquoi pas de bus le dimanche ?", "display_name": "Nour"}, **HTMX)
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="flash"' in html and "published" in html
    assert 'hx-swap-oob="afterbegin:#qlist"' in html and "Pourquoi pas de bus le dimanche ?" in html  # one insert
    assert 'id="me"' in html
    assert session_participant(client, debate).display_name == "Nour"


@pytest.mark.parametrize("htmx", [True, False])
@pytest.mark.parametrize(
    "text, status, message",
    [("", 400, "empty"), ("   ", 400, "empty"), ("é" * 281, 400, "too long")],
)
def test_bad_question_gives_4xx_with_a_message_and_stores_nothing(client, htmx, text, status, message):
    debate = make_debate(premoderation=False)
    r = client.post(url(debate, "ask"), {"text": text}, **(HTMX if htmx else {}))
    assert r.status_code == status
    assert message in r.content.decode()
    assert Question.objects.count() == 0
    if not htmx:  # the whole page, with the message in it
        assert 'id="ask-form"' in r.content.decode()


@pytest.mark.parametrize("htmx", [True, False])
def test_closed_debate_refuses_posts_with_409(client, htmx):
    debate = make_debate(status=Debate.Status.CLOSED)
    r = client.post(url(debate, "ask"), {"text": "Encore une question ?"}, **(HTMX if htmx else {}))
    assert r.status_code == 409 and "closed" in r.content.decode()
    assert Question.objects.count() == 0


def test_muted_participant_gets_403_and_nothing_is_stored(client):
    debate = make_debate(premoderation=False)
    client.post(url(debate, "ask"), {"text": "Première question ?"})
    me = session_participant(client, debate)
    services.participant_set_muted(participant=me, muted=True, actor=make_moderator(debate))
    r = client.post(url(debate, "ask"), {"text": "Deuxième question ?"}, **HTMX)
    assert r.status_code == 403 and "muted" in r.content.decode()
    assert Question.objects.count() == 1


def test_csrf_is_enforced():
    debate = make_debate()
    c = Client(enforce_csrf_checks=True)
    r = c.post(url(debate, "ask"), {"text": "Sans jeton ?"})
    assert r.status_code == 403 and Question.objects.count() == 0
    page = c.get(url(debate)).content.decode()
    token = c.cookies["csrftoken"].value
    assert "X-CSRFToken" in page
    r = c.post(url(debate, "ask"), {"text": "Avec jeton ?"}, HTTP_X_CSRFTOKEN=token, **HTMX)
    assert r.status_code == 200 and Question.objects.count() == 1


def test_write_endpoints_refuse_get(client):
    debate = make_debate()
    assert client.get(url(debate, "ask")).status_code == 405


# --- upvotes ------------------------------------------------------------------------------------------------------
def test_upvote_once_then_409(client):
    debate = make_debate()
    q = make_question(debate)
    r = client.post(url(debate, f"q/{q.pk}/upvote"), **HTMX)
    # Hot path: the answer is the message only; the new count arrives by broadcast.
    assert r.status_code == 200 and "Upvote counted" in r.content.decode() and 'id="me"' not in r.content.decode()
    r = client.post(url(debate, f"q/{q.pk}/upvote"), **HTMX)
    # A refusal re-sends the citizen's own state, so the page shows the upvote as theirs.
    assert r.status_code == 409 and "already upvoted" in r.content.decode()
    assert f'"upvoted": [{q.pk}]' in r.content.decode()
    r = client.post(url(debate, f"q/{q.pk}/upvote"))
    assert r.status_code == 409 and "already upvoted" in r.content.decode()
    q.refresh_from_db()
    assert q.upvote_count == 1 == QuestionUpvote.objects.count()


def test_upvote_of_unknown_or_foreign_question_is_404(client):
    debate = make_debate()
    foreign = make_question(make_debate())
    assert client.post(url(debate, "q/999999/upvote")).status_code == 404
    assert client.post(url(debate, f"q/{foreign.pk}/upvote")).status_code == 404
    assert QuestionUpvote.objects.count() == 0


# --- votes --------------------------------------------------------------------------------------------------------
def test_vote_with_htmx_is_acknowledged_leanly_and_can_be_changed(client, broadcasts):
    debate = make_debate()
    poll = make_poll(debate)
    yes, no, _abstain = poll.options.all()
    r = client.post(url(debate, f"poll/{poll.pk}/vote"), {"option": yes.pk}, **HTMX)
    assert r.status_code == 200
    html = r.content.decode()
    # The hot path answers with the message only (the page marks the choice itself)…
    assert "Your vote is recorded" in html and f'id="poll-{poll.pk}-results"' not in html
    # …and the count goes to everyone by broadcast.
    assert f'id="poll-{poll.pk}-results"' in broadcasts.html() and "1 vote" in broadcasts.html()
    r = client.post(url(debate, f"poll/{poll.pk}/vote"), {"option": no.pk}, **HTMX)
    assert r.status_code == 200
    assert list(Vote.objects.values_list("option_id", flat=True)) == [no.pk]


def test_vote_without_javascript_redirects_to_the_poll(client):
    debate = make_debate()
    poll = make_poll(debate)
    r = client.post(
        url(debate, f"poll/{poll.pk}/vote"), {"option": poll.options.first().pk, "anchor": f"poll-{poll.pk}"}
    )
    assert r.status_code == 302 and r["Location"] == url(debate) + f"#poll-{poll.pk}"
    assert Vote.objects.count() == 1


def test_participant_comes_from_the_session_never_from_the_form(client):
    debate = make_debate()
    poll = make_poll(debate)
    victim = make_participant(debate)
    client.post(url(debate, f"poll/{poll.pk}/vote"), {"option": poll.options.first().pk, "participant": victim.pk})
    vote = Vote.objects.get()
    assert vote.participant != victim and vote.participant == session_participant(client, debate)


@pytest.mark.parametrize("htmx", [True, False])
def test_vote_with_another_polls_option_is_400(client, htmx):
    debate = make_debate()
    poll, other = make_poll(debate), make_poll(debate)
    r = client.post(url(debate, f"poll/{poll.pk}/vote"), {"option": other.options.first().pk}, **(HTMX if htmx else {}))
    assert r.status_code == 400 and "does not belong" in r.content.decode()
    r = client.post(url(debate, f"poll/{poll.pk}/vote"), {"option": "abc"}, **(HTMX if htmx else {}))
    assert r.status_code == 400
    assert Vote.objects.count() == 0


def test_vote_on_closed_poll_is_409(client):
    debate = make_debate()
    mod = make_moderator(debate)
    poll = make_poll(debate, actor=mod)
    services.poll_close(poll=poll, actor=mod)
    r = client.post(url(debate, f"poll/{poll.pk}/vote"), {"option": poll.options.first().pk}, **HTMX)
    assert r.status_code == 409 and "closed" in r.content.decode()
    assert Vote.objects.count() == 0


def test_vote_on_another_debates_poll_is_404(client):
    debate = make_debate()
    foreign = make_poll(make_debate())
    r = client.post(url(debate, f"poll/{foreign.pk}/vote"), {"option": foreign.options.first().pk})
    assert r.status_code == 404 and Vote.objects.count() == 0


# --- arguments ----------------------------------------------------------------------------------------------------
def test_argue_and_support(client):
    debate = make_debate(word_filter="")
    poll = make_poll(debate)
    r = client.post(url(debate, f"poll/{poll.pk}/argue"), {"side": "for", "text": "Moins de pollution."}, **HTMX)
    assert r.status_code == 200
    html = r.content.decode()
    assert f'hx-swap-oob="beforeend:#poll-{poll.pk}-' in html and "Moins de pollution." in html  # one insert
    arg = Argument.objects.get()
    assert arg.author == session_participant(client, debate)
    r = client.post(url(debate, f"arg/{arg.pk}/support"), **HTMX)
    assert r.status_code == 200 and "Support counted" in r.content.decode()
    r = client.post(url(debate, f"arg/{arg.pk}/support"), **HTMX)
    assert r.status_code == 409
    assert arg.upvotes.count() == 1


@pytest.mark.parametrize(
    "data",
    [
        {"side": "both", "text": "Un argument."},
        {"side": "for", "text": ""},
        {"side": "against", "text": "z" * 501},
        {"text": "Sans camp."},
    ],
)
def test_bad_argument_is_400_and_nothing_stored(client, data):
    debate = make_debate()
    poll = make_poll(debate)
    r = client.post(url(debate, f"poll/{poll.pk}/argue"), data, **HTMX)
    assert r.status_code == 400 and 'class="flash error"' in r.content.decode()
    r = client.post(url(debate, f"poll/{poll.pk}/argue"), data)
    assert r.status_code == 400 and 'id="flash"' in r.content.decode()
    assert Argument.objects.count() == 0


# --- JSON APIs ----------------------------------------------------------------------------------------------------
def test_api_debates_lists_live_and_upcoming(client):
    live = make_debate(title="En direct")
    scheduled = make_debate(title="Bientôt", status=Debate.Status.SCHEDULED)
    make_debate(status=Debate.Status.DRAFT)
    make_debate(status=Debate.Status.CLOSED)
    r = client.get("/api/debates")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/json")
    rows = r.json()["debates"]
    assert {d["code"] for d in rows} == {live.code, scheduled.code}
    row = next(d for d in rows if d["code"] == live.code)
    assert row["title"] == "En direct" and row["status"] == "live" and row["scheduled_start"]
    assert row["citizen_url"] == f"http://testserver/d/{live.code}/"
    assert row["state_url"] == f"http://testserver/api/d/{live.code}/state"
    assert client.get(row["state_url"].removeprefix("http://testserver")).status_code == 200


def test_api_state_numbers_equal_the_database(client):
    debate = make_debate()
    mod = make_moderator(debate)
    official = make_official(debate, title="Maire")
    q1 = make_question(debate, actor=mod, text="Q1 ?")
    q2 = make_question(debate, actor=mod, text="Q2 ?")
    make_question(debate, approve=False, text="En attente ?")
    people = [make_participant(debate) for _ in range(5)]
    for p in people[:3]:
        services.question_upvote(question=q2, participant=p)
    services.question_upvote(question=q1, participant=people[4])
    services.question_put_on_screen(question=q2, debate=debate, actor=mod)
    services.answer_post(question=q2, actor=official, text="Oui, dès juin.")
    poll = make_poll(debate, actor=mod)
    hidden = make_poll(debate, results=Poll.Results.HIDDEN, actor=mod)
    yes, no, abstain = poll.options.all()
    for p, option in zip(people, [yes, yes, no, abstain, yes]):
        services.vote_cast(poll=poll, participant=p, option_id=option.pk)
    services.vote_cast(poll=hidden, participant=people[0], option_id=hidden.options.first().pk)
    arg = services.argument_post(poll=poll, participant=people[0], side="for", text="Plus calme.")
    gone = services.argument_post(poll=poll, participant=people[1], side="against", text="Moins pratique.")
    services.argument_set_status(argument=gone, actor=mod, status=Argument.Status.HIDDEN)
    for p in people[1:3]:
        services.argument_upvote(argument=arg, participant=p)

    r = client.get(f"/api/d/{debate.code.lower()}/state")
    assert r.status_code == 200
    state = r.json()
    assert state["debate"]["code"] == debate.code and state["debate"]["status"] == "live"
    assert state["debate"]["premoderation"] is True
    assert state["clock"]["segment"]["title"] == "Segment 1"
    assert state["on_screen"]["id"] == q2.pk and state["on_screen"]["answers"][0]["official"] == "Maire"
    db_questions = {q.pk: q.upvote_count for q in Question.objects.filter(status__in=["approved", "answered"])}
    assert {q["id"]: q["upvotes"] for q in state["questions"]} == db_questions == {q1.pk: 1, q2.pk: 3}
    assert [q["id"] for q in state["questions"]] == [q2.pk, q1.pk]  # most upvoted first
    by_id = {p["id"]: p for p in state["polls"]}
    live_poll = by_id[poll.pk]
    assert live_poll["total_votes"] == Vote.objects.filter(poll=poll).count() == 5
    assert (
        {o["id"]: o["votes"] for o in live_poll["options"]}
        == {o.pk: Vote.objects.filter(option=o).count() for o in poll.options.all()}
        == {yes.pk: 3, no.pk: 1, abstain.pk: 1}
    )
    assert [o["percent"] for o in live_poll["options"]] == [60.0, 20.0, 20.0]
    assert live_poll["arguments"]["for"] == [
        {"id": arg.pk, "text": "Plus calme.", "support": 2, "created_at": arg.created_at.isoformat()}
    ]
    assert live_poll["arguments"]["against"] == []  # hidden argument is not public
    hidden_poll = by_id[hidden.pk]
    assert hidden_poll["results_visible"] is False and hidden_poll["total_votes"] is None
    assert all("votes" not in o for o in hidden_poll["options"])
    # The page shows the same numbers.
    html = client.get(url(debate)).content.decode()
    assert 'data-upvotes="3"' in html and "5 votes" in html
    assert "<strong>60 %</strong> · 3" in html


def test_api_state_unknown_code_is_json_404(client):
    r = client.get("/api/d/ZZZZZZ/state")
    assert r.status_code == 404 and r.json() == {"error": "unknown debate code"}


def test_selectors_and_api_agree_after_vote_changes(client):
    debate = make_debate()
    poll = make_poll(debate)
    yes, no, _ = poll.options.all()
    voters = [Client() for _ in range(4)]
    for c in voters:
        c.post(url(debate, f"poll/{poll.pk}/vote"), {"option": yes.pk}, **HTMX)
    for c in voters[:3]:
        c.post(url(debate, f"poll/{poll.pk}/vote"), {"option": no.pk}, **HTMX)
    counts = [o["votes"] for o in client.get(f"/api/d/{debate.code}/state").json()["polls"][0]["options"]]
    assert counts == [o["count"] for o in selectors.poll_tally(poll)["options"]] == [1, 3, 0]
