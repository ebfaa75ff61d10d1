"""Abuse limits (issue 12, item 5): per participant for what one person does, per address for what a crowd does
not do (new participants, failed guesses), a growing delay on sign-in, never a lockout."""

from __future__ import annotations

import pytest
from django.test import Client

from debates import limits
from debates.models import Participant, Question
from tests.factories import make_debate, make_moderator, make_poll

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_questions_per_participant_are_limited_with_a_clear_429_and_the_text_kept():
    debate = make_debate(premoderation=False)
    citizen = Client(HTTP_ACCEPT_LANGUAGE="en")
    codes = [
        citizen.post(f"/d/{debate.code}/ask", {"text": f"Question numéro {i} ?"}, **HTMX).status_code
        for i in range(limits.rule("question").limit)
    ]
    assert codes == [200] * limits.rule("question").limit
    refused = citizen.post(f"/d/{debate.code}/ask", {"text": "Une de trop ?"}, **HTMX)
    assert refused.status_code == 429 and "wait a minute" in refused.content.decode()
    plain = citizen.post(f"/d/{debate.code}/ask", {"text": "Encore une <b>de trop</b> ?"})
    assert plain.status_code == 429
    assert "Encore une &lt;b&gt;de trop&lt;/b&gt; ?</textarea>" in plain.content.decode()  # kept, as text
    assert Question.objects.filter(debate=debate).count() == limits.rule("question").limit
    other = Client(HTTP_ACCEPT_LANGUAGE="en")  # another citizen of the same hall (same address) is not affected
    assert other.post(f"/d/{debate.code}/ask", {"text": "Ma question ?"}, **HTMX).status_code == 200


def test_a_batch_counts_each_key_in_turn(settings):
    """hit_many (the hot path's newcomers, one storage round trip): a key named twice in a batch gets its two
    successive counts, as two hits would; Redis in the Redis pass, memory in the embedded one."""
    settings.RATE_LIMITS = {"participant_per_address": "2/60"}
    limits.reset("participant_per_address", "10.0.0.1")
    limits.reset("participant_per_address", "10.0.0.2")
    batch = ["10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.1"]
    assert limits.hit_many("participant_per_address", batch) == [True, True, True, False]
    assert limits.hit("participant_per_address", "10.0.0.2") is True
    assert limits.hit("participant_per_address", "10.0.0.2") is False


def test_the_refusal_is_translated():
    debate = make_debate(premoderation=False)
    citizen = Client(HTTP_ACCEPT_LANGUAGE="fr")
    for i in range(limits.rule("question").limit):
        citizen.post(f"/d/{debate.code}/ask", {"text": f"Question {i} ?"}, **HTMX)
    refused = citizen.post(f"/d/{debate.code}/ask", {"text": "Une de trop ?"}, **HTMX)
    assert refused.status_code == 429 and "patienter" in refused.content.decode()


def test_arguments_and_renames_per_participant(settings):
    settings.RATE_LIMITS = {"argument": "2/60", "rename": "2/60"}
    debate = make_debate(premoderation=False)
    poll = make_poll(debate, actor=make_moderator(debate))
    citizen = Client()
    argue = [
        citizen.post(
            f"/d/{debate.code}/poll/{poll.pk}/argue", {"side": "for", "text": f"Argument {i}."}, **HTMX
        ).status_code
        for i in range(3)
    ]
    assert argue == [200, 200, 429]
    names = [
        citizen.post(f"/d/{debate.code}/name", {"display_name": n}, **HTMX).status_code
        for n in ("Ana", "Ana", "Bea", "Cleo")
    ]
    assert names == [200, 200, 200, 429]  # the same name again changes nothing and is not counted


def test_new_participants_per_address(settings):
    settings.RATE_LIMITS = {"participant_per_address": "3/60"}
    debate = make_debate(premoderation=False)
    codes = [Client().post(f"/d/{debate.code}/ask", {"text": "Bonjour ?"}, **HTMX).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert Participant.objects.filter(debate=debate).count() == 3
    behind_another = Client(REMOTE_ADDR="10.1.2.3")
    assert behind_another.post(f"/d/{debate.code}/ask", {"text": "Bonjour ?"}, **HTMX).status_code == 200


def test_the_default_lets_a_1000_person_hall_in():
    assert limits.rule("participant_per_address").limit >= 1000


def test_only_failed_code_guesses_count_and_then_every_guess_is_refused(settings):
    settings.RATE_LIMITS = {"code_guess": "3/60"}
    debate = make_debate()
    client = Client()
    for _ in range(10):  # the right code, many times: never limited
        assert client.get("/", {"code": debate.code}).status_code == 302
    assert [client.get("/", {"code": f"ZZZZZ{i}"}).status_code for i in range(3)] == [404, 404, 404]
    assert client.get("/", {"code": "ZZZZZZ"}).status_code == 429
    assert client.get("/", {"code": debate.code}).status_code == 429  # a guess that would hit says nothing
    assert client.get(f"/d/{debate.code}/").status_code == 429
    assert client.get(f"/api/d/{debate.code}/state").status_code == 429
    assert Client(REMOTE_ADDR="10.9.9.9").get(f"/d/{debate.code}/").status_code == 200


def test_failed_guesses_in_urls_count_too(settings):
    settings.RATE_LIMITS = {"code_guess": "2/60", "screen_guess": "2/60"}
    debate = make_debate()
    client = Client()
    assert [client.get(f"/d/ZZZZZ{i}/").status_code for i in range(2)] == [404, 404]
    assert client.get(f"/d/{debate.code}/").status_code == 429
    screen = Client(REMOTE_ADDR="10.0.0.2")
    assert [screen.get(f"/d/{debate.code}/screen/wrong{i}/").status_code for i in range(2)] == [404, 404]
    assert screen.get(f"/d/{debate.code}/screen/{debate.screen_token}/").status_code == 429


def test_client_address_only_from_trusted_proxies(settings, rf):
    request = rf.get("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert limits.client_address(request) == "203.0.113.9"  # not a trusted proxy: its header is ignored
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    request = rf.get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7, 10.0.0.4")
    assert limits.client_address(request) == "198.51.100.7"  # right-most hop that is not ours; 6.6.6.6 is forged


def test_counter_keys_do_not_hold_addresses():
    key = limits._key(limits.rule("code_guess"), "198.51.100.7")
    assert "198.51.100.7" not in key and key != limits._key(limits.rule("code_guess"), "198.51.100.8")


# --- sign-in ------------------------------------------------------------------------------------------------------
def _login(client: Client, username: str, password: str) -> int:
    return client.post("/accounts/login/", {"username": username, "password": password}).status_code


def test_failed_sign_ins_grow_a_delay_and_the_right_password_works_after_it(monkeypatch):
    debate = make_debate()
    moderator = make_moderator(debate, username="moderatrice")
    now = [1_000_000.0]
    monkeypatch.setattr(limits.time, "time", lambda: now[0])
    attacker = Client(REMOTE_ADDR="203.0.113.66", HTTP_ACCEPT_LANGUAGE="en")
    assert [_login(attacker, "moderatrice", f"wrong{i}") for i in range(3)] == [200, 200, 200]
    refused = attacker.post("/accounts/login/", {"username": "moderatrice", "password": "pw-for-tests-123"})
    assert refused.status_code == 429 and "please wait" in refused.content.decode()
    assert 'value="moderatrice"' in refused.content.decode() and refused["Retry-After"] == "1"
    now[0] += 1
    assert _login(attacker, "moderatrice", "wrong3") == 200  # after the delay, the attempt is checked again
    assert _login(attacker, "moderatrice", "wrong4") == 429  # and the next delay is longer: 2 s
    # From elsewhere, the moderator waits a few seconds at most, however many failures the stranger made.
    for i in range(20):
        now[0] += 61
        _login(attacker, "moderatrice", f"again{i}")
    moderator_phone = Client(REMOTE_ADDR="198.51.100.20")
    now[0] += 5
    assert _login(moderator_phone, "moderatrice", "pw-for-tests-123") == 302
    assert moderator.username == "moderatrice"


def test_the_delay_grows():
    assert [limits.growing_delay(n) for n in range(8)] == [0, 0, 0, 1, 2, 4, 8, 16]
    assert limits.growing_delay(30) == 60 and limits.growing_delay(30, cap=5) == 5


@pytest.mark.parametrize("action", ["vote", "upvote", "support"])
def test_new_participants_per_address_count_on_the_burst_views_too(settings, action):
    """A vote, an upvote or a support from a new session makes a participant too: the same limit holds there (the
    ordinary views here; tests/debates/test_hot_path.py drives the hot path)."""
    from tests.factories import make_participant, make_question

    settings.RATE_LIMITS = {"participant_per_address": "3/60"}
    debate = make_debate(premoderation=False)
    moderator = make_moderator(debate)
    poll = make_poll(debate, actor=moderator)
    question = make_question(debate, actor=moderator)
    from debates import services

    argument = services.argument_post(
        poll=poll, participant=make_participant(debate), side="for", text="Un argument pour."
    )
    path, data = {
        "vote": (f"/d/{debate.code}/poll/{poll.pk}/vote", {"option": poll.options.first().pk}),
        "upvote": (f"/d/{debate.code}/q/{question.pk}/upvote", {}),
        "support": (f"/d/{debate.code}/arg/{argument.pk}/support", {}),
    }[action]
    before = Participant.objects.filter(debate=debate).count()
    codes = [Client().post(path, data, **HTMX).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429], codes
    assert Participant.objects.filter(debate=debate).count() == before + 3
    returning = Client()
    returning.post(f"/d/{debate.code}/name", {"display_name": "Ana"}, REMOTE_ADDR="10.7.7.7", **HTMX)
    assert returning.post(path, data, REMOTE_ADDR="10.7.7.7", **HTMX).status_code == 200
