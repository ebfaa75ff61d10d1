"""The moderation console: pages, the single action endpoint (every action, every permission), log and CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from debates import services
from debates.csvsafe import csv_response, safe_cell
from debates.models import Argument, Debate, ModerationLog, Poll, Question
from debates.wordlists import default_word_filter
from tests.factories import (
    make_debate,
    make_moderator,
    make_official,
    make_participant,
    make_poll,
    make_question,
    make_user,
)

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _english(client):
    """Assertions read English messages; the pages themselves default to French."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def debate():
    return make_debate()


@pytest.fixture
def moderator(debate):
    return make_moderator(debate)


def act_url(debate):
    return reverse("moderate_act", args=[debate.code])


def login(client, user):
    client.force_login(user)
    return client


def pending(debate, text="Une question en attente ?"):
    return make_question(debate, approve=False, text=text)


# --- the console page ---------------------------------------------------------------------------------------------
def test_console_requires_login(client, debate):
    response = client.get(reverse("moderate", args=[debate.code]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_console_forbidden_for_staff_without_role(client, debate):
    other = make_debate()
    login(client, make_moderator(other))
    response = client.get(reverse("moderate", args=[debate.code]))
    assert response.status_code == 403
    assert b"not a moderator" in response.content


def test_console_renders_every_widget_for_a_moderator(client, debate, moderator):
    q = pending(debate, "Pourquoi ce connard de projet ?")
    make_poll(debate, actor=moderator)
    login(client, moderator)
    response = client.get(reverse("moderate", args=[debate.code]))
    html = response.content.decode()
    assert response.status_code == 200
    for root in (
        "mod-status",
        "mod-onscreen",
        "mod-approved",
        "mod-queue",
        "mod-polls",
        "mod-presence",
        "mod-log",
        "mod-flash",
        "server-time",
        'id="conn"',
        f'ws-connect="/ws/d/{debate.code}/moderate/',
    ):
        assert root in html
    assert f'id="mq-{q.pk}"' in html
    assert "connard" in q.flagged_words and "⚑ connard" in html  # flagged words marked in the queue
    assert f"#{q.author_id}" in html  # the participant id, for mute
    assert "<kbd>j</kbd>" in html and "<kbd>s</kbd>" in html  # shortcuts listed
    assert debate.screen_token not in html  # the screen link comes in its own answer (views_moderation_panels)
    assert reverse("moderate_screenlink", args=[debate.code]) in html
    assert "is-moderator" in html and "is-official" not in html


def test_console_for_an_official_shows_the_answer_form(client, debate):
    official = make_official(debate)
    q = make_question(debate)
    login(client, official)
    html = client.get(reverse("moderate", args=[debate.code])).content.decode()
    more = reverse("moderate_more", args=[debate.code, q.pk]) + "?list=approved"
    assert "is-official" in html and f'hx-get="{more}"' in html  # the card's answer form comes when it opens
    assert 'value="answer"' in client.get(more, **HX).content.decode()


# --- every action: success, then permission (citizen, other debate's moderator), 404, conflict ---------------------
def _setup(debate, moderator):
    """Objects for every action; returns (action, post data, check-function-of-state) rows."""
    q_pending = pending(debate, "À approuver ?")
    q_approved = make_question(debate, text="Déjà approuvée ?", actor=moderator)
    q_dup = pending(debate, "Doublon ?")
    poll = make_poll(debate, actor=moderator, open_now=False)
    open_poll = make_poll(debate, actor=moderator, open_now=True)
    participant = make_participant(debate, "Zoé")
    arg = services.argument_post(poll=open_poll, participant=participant, side="for", text="Un bon argument")
    return dict(
        q_pending=q_pending,
        q_approved=q_approved,
        q_dup=q_dup,
        poll=poll,
        open_poll=open_poll,
        participant=participant,
        arg=arg,
    )


def _refresh(obj):
    obj.refresh_from_db()
    return obj


CASES = [
    ("approve", lambda o: {"question": o["q_pending"].pk}, lambda o: _refresh(o["q_pending"]).status == "approved"),
    (
        "reject",
        lambda o: {"question": o["q_pending"].pk, "reason": "Hors sujet"},
        lambda o: _refresh(o["q_pending"]).status == "rejected" and o["q_pending"].rejection_reason == "Hors sujet",
    ),
    (
        "edit",
        lambda o: {"question": o["q_approved"].pk, "text": "Texte corrigé ?"},
        lambda o: _refresh(o["q_approved"]).text == "Texte corrigé ?",
    ),
    (
        "merge",
        lambda o: {"question": o["q_dup"].pk, "into": o["q_approved"].pk},
        lambda o: _refresh(o["q_dup"]).merged_into_id == o["q_approved"].pk,
    ),
    ("star", lambda o: {"question": o["q_approved"].pk}, lambda o: _refresh(o["q_approved"]).starred),
    (
        "onscreen",
        lambda o: {"question": o["q_approved"].pk},
        lambda o: Debate.objects.get(pk=o["q_approved"].debate_id).on_screen_id == o["q_approved"].pk,
    ),
    ("answered", lambda o: {"question": o["q_approved"].pk}, lambda o: _refresh(o["q_approved"]).status == "answered"),
    ("mute", lambda o: {"participant": o["participant"].pk}, lambda o: _refresh(o["participant"]).muted),
    ("arg_hide", lambda o: {"argument": o["arg"].pk}, lambda o: _refresh(o["arg"]).status == "hidden"),
    (
        "poll_create",
        lambda o: {
            "text": "Nouveau sondage ?",
            "kind": "choice",
            "options": "Rouge\nVert\n",
            "results": "hidden",
            "open_now": "1",
        },
        lambda o: Poll.objects.filter(text="Nouveau sondage ?", status="open", results="hidden").exists(),
    ),
    ("poll_open", lambda o: {"poll": o["poll"].pk}, lambda o: _refresh(o["poll"]).status == "open"),
    ("poll_close", lambda o: {"poll": o["open_poll"].pk}, lambda o: _refresh(o["open_poll"]).status == "closed"),
    (
        "clock",
        lambda o: {"clock_action": "start"},
        lambda o: Debate.objects.get(pk=o["poll"].debate_id).segments.filter(started_at__isnull=False).exists(),
    ),
    ("status", lambda o: {"status": "closed"}, lambda o: Debate.objects.get(pk=o["poll"].debate_id).status == "closed"),
    ("regenerate_screen", lambda o: {}, None),
]


def _snapshot(debate):
    """Everything an action could change, to prove that a refused action changed nothing."""
    d = Debate.objects.get(pk=debate.pk)
    return (
        d.status,
        d.on_screen_id,
        d.screen_token,
        sorted(Question.objects.filter(debate=debate).values_list("id", "status", "text", "starred", "merged_into_id")),
        sorted(Poll.objects.filter(debate=debate).values_list("id", "status")),
        sorted(Argument.objects.filter(poll__debate=debate).values_list("id", "status")),
        sorted(d.participants.values_list("id", "muted")),
        sorted(d.segments.values_list("id", "started_at")),
        ModerationLog.objects.filter(debate=debate).count(),
    )


@pytest.mark.parametrize("action,data,check", CASES, ids=[c[0] for c in CASES])
def test_action_succeeds_for_a_moderator(client, debate, moderator, action, data, check):
    objs = _setup(debate, moderator)
    token = debate.screen_token
    login(client, moderator)
    response = client.post(act_url(debate), {"action": action, **data(objs)}, **HX)
    assert response.status_code == 200, response.content
    html = response.content.decode()
    assert 'id="mod-flash"' in html and "success" in html
    if check is not None:
        assert check(objs)
    else:
        assert Debate.objects.get(pk=debate.pk).screen_token != token
        assert 'id="mod-screenlink"' in html
    assert ModerationLog.objects.filter(debate=debate, actor=moderator).exists()


@pytest.mark.parametrize("action,data,check", CASES, ids=[c[0] for c in CASES])
def test_action_forbidden_for_a_citizen_and_changes_nothing(client, debate, moderator, action, data, check):
    objs = _setup(debate, moderator)
    # A citizen: a browser session with a participant, no account.
    client.post(reverse("ask", args=[debate.code]), {"text": "Je suis citoyen ?"})
    before = _snapshot(debate)
    response = client.post(act_url(debate), {"action": action, **data(objs)})
    assert response.status_code == 403
    assert _snapshot(debate) == before


@pytest.mark.parametrize("action,data,check", CASES, ids=[c[0] for c in CASES])
def test_action_forbidden_for_a_moderator_of_another_debate(client, debate, moderator, action, data, check):
    objs = _setup(debate, moderator)
    intruder = make_moderator(make_debate())
    login(client, intruder)
    before = _snapshot(debate)
    response = client.post(act_url(debate), {"action": action, **data(objs)}, **HX)
    assert response.status_code == 403
    assert "not allowed" in response.content.decode()
    assert _snapshot(debate) == before


def test_unmute_and_unstar_and_restore_and_clear_screen(client, debate, moderator):
    objs = _setup(debate, moderator)
    q, participant, arg = objs["q_approved"], objs["participant"], objs["arg"]
    services.participant_set_muted(participant=participant, muted=True, actor=moderator)
    services.question_star(question=q, actor=moderator, starred=True)
    services.argument_set_status(argument=arg, actor=moderator, status="held")
    services.question_put_on_screen(question=q, debate=debate, actor=moderator)
    login(client, moderator)
    for data in (
        {"action": "unmute", "participant": participant.pk},
        {"action": "unstar", "question": q.pk},
        {"action": "arg_restore", "argument": arg.pk},
        {"action": "clear_screen"},
    ):
        assert client.post(act_url(debate), data, **HX).status_code == 200
    assert not _refresh(participant).muted and not _refresh(q).starred and _refresh(arg).status == "visible"
    assert Debate.objects.get(pk=debate.pk).on_screen_id is None


def test_clock_actions(client, debate, moderator):
    login(client, moderator)
    for clock_action in ("start", "pause", "resume", "extend", "next", "reset"):
        response = client.post(
            act_url(debate), {"action": "clock", "clock_action": clock_action, "seconds": "60"}, **HX
        )
        assert response.status_code == 200, (clock_action, response.content)
    assert b'id="mod-status"' in response.content
    conflict = client.post(act_url(debate), {"action": "clock", "clock_action": "pause"}, **HX)
    assert conflict.status_code == 409


@pytest.mark.parametrize(
    "field,action", [("question", "approve"), ("poll", "poll_open"), ("argument", "arg_hide"), ("participant", "mute")]
)
def test_unknown_or_foreign_object_is_404(client, debate, moderator, field, action):
    other = make_debate()
    foreign = {
        "question": lambda: pending(other).pk,
        "poll": lambda: make_poll(other).pk,
        "argument": lambda: services.argument_post(
            poll=make_poll(other), participant=make_participant(other), side="for", text="Ailleurs"
        ).pk,
        "participant": lambda: make_participant(other).pk,
    }[field]()
    login(client, moderator)
    for value in (foreign, 999999, "abc"):
        response = client.post(act_url(debate), {"action": action, field: value}, **HX)
        assert response.status_code == 404
        assert "does not exist" in response.content.decode()


def test_conflict_already_handled_by_another_moderator(client, debate, moderator):
    q = pending(debate)
    colleague = make_moderator(debate, username="camille")
    services.question_approve(question=q, actor=colleague)
    login(client, moderator)
    response = client.post(act_url(debate), {"action": "approve", "question": q.pk}, **HX)
    assert response.status_code == 409
    assert "Already handled by camille" in response.content.decode()
    # without htmx: a 409 page with the same message
    response = client.post(act_url(debate), {"action": "reject", "question": q.pk})
    assert response.status_code == 200 or response.status_code == 302  # approved → reject is allowed (withdraw)
    response = client.post(act_url(debate), {"action": "reject", "question": q.pk})
    assert response.status_code == 409
    assert "Already handled by" in response.content.decode()


def test_plain_post_redirects_with_a_message(client, debate, moderator):
    q = pending(debate)
    login(client, moderator)
    response = client.post(act_url(debate), {"action": "approve", "question": q.pk}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("moderate", args=[debate.code])
    assert "Question approved." in response.content.decode()


def test_unknown_action_is_400(client, debate, moderator):
    login(client, moderator)
    assert client.post(act_url(debate), {"action": "drop_tables"}, **HX).status_code == 400


def test_answer_by_official_only(client, debate, moderator):
    q = make_question(debate, actor=moderator)
    login(client, moderator)
    assert (
        client.post(act_url(debate), {"action": "answer", "question": q.pk, "text": "Réponse"}, **HX).status_code == 403
    )
    official = make_official(debate, title="Maire de Lyon")
    login(client, official)
    response = client.post(act_url(debate), {"action": "answer", "question": q.pk, "text": "Oui, en 2027."}, **HX)
    assert response.status_code == 200
    assert _refresh(q).status == "answered" and q.answers.get().text == "Oui, en 2027."
    assert "Maire de Lyon" in response.content.decode()


def test_official_cannot_approve(client, debate):
    q = pending(debate)
    login(client, make_official(debate))
    assert client.post(act_url(debate), {"action": "approve", "question": q.pk}, **HX).status_code == 403
    assert _refresh(q).status == "pending"


def test_action_broadcasts_to_moderators(client, debate, moderator, broadcasts):
    q = pending(debate, "Diffusée ?")
    broadcasts.clear()
    login(client, moderator)
    client.post(act_url(debate), {"action": "approve", "question": q.pk}, **HX)
    assert {f"q+:{q.pk}", "counters", "log"} <= broadcasts.keys()
    assert f'<template id="mq-{q.pk}" hx-swap-oob="delete"' in broadcasts.html("moderators.fr")  # out of the queue
    assert f'id="ma-{q.pk}"' in broadcasts.html("moderators.fr")


def test_rejection_reason_is_shown_to_the_author(client, debate, moderator):
    client.post(reverse("ask", args=[debate.code]), {"text": "Ma question ?"})
    q = Question.objects.get(text="Ma question ?")
    services.question_reject(question=q, actor=moderator, reason="Hors sujet")
    html = client.get(reverse("citizen", args=[debate.code])).content.decode()
    assert "Hors sujet" in html


def test_muted_participant_is_refused(client, debate, moderator):
    client.post(reverse("ask", args=[debate.code]), {"text": "Première ?"})
    participant = Question.objects.get(text="Première ?").author
    services.participant_set_muted(participant=participant, muted=True, actor=moderator)
    response = client.post(reverse("ask", args=[debate.code]), {"text": "Seconde ?"}, **HX)
    assert response.status_code == 403
    assert "muted" in response.content.decode()


# --- word lists ---------------------------------------------------------------------------------------------------
def test_new_debates_use_the_shipped_word_lists():
    d = make_debate()
    assert d.word_filter == default_word_filter()
    words = d.filtered_words()
    assert "connard" in words and "asshole" in words
    assert services.matched_words(d, "Quel CONNARD a décidé ça ?") == ["connard"]
    assert services.matched_words(d, "Une question polie sur le budget ?") == []


def test_word_filter_holds_posts_when_not_premoderated():
    d = make_debate(premoderation=False)
    q = services.question_submit(debate=d, participant=make_participant(d), text="What the fuck is this budget?")
    assert q.status == "pending" and q.flagged_words == "fuck"


# --- log page and CSV ---------------------------------------------------------------------------------------------
def test_log_page_filters_and_paginates(client, debate, moderator):
    other_mod = make_moderator(debate, username="dominique")
    for i in range(55):
        services.question_approve(question=pending(debate, f"Question {i} ?"), actor=moderator)
    services.question_star(question=Question.objects.filter(debate=debate).first(), actor=other_mod, starred=True)
    login(client, moderator)
    url = reverse("moderation_log", args=[debate.code])
    page1 = client.get(url).content.decode()
    assert "Page 1 of 2" in page1
    filtered = client.get(url, {"actor": "dominique"}).content.decode()
    assert filtered.count("<tr>") == 2  # header + one row
    assert "question_starred" in filtered
    assert client.get(url, {"action": "question_approved", "page": 2}).status_code == 200
    by_type = client.get(url, {"object_type": "poll"}).content.decode()
    assert "No entry matches." in by_type


@pytest.mark.parametrize("language", ["en", "fr"])
def test_log_page_shows_values_as_people_read_them(client, debate, moderator, language):
    q = pending(debate, "Une question à rejeter ?")
    services.question_reject(question=q, actor=moderator, reason="Hors sujet")
    services.participant_set_muted(participant=make_participant(debate), muted=True, actor=moderator)
    services.debate_update_settings(debate=debate, actor=moderator, premoderation=False)
    services.clock_action(debate=debate, actor=moderator, action="start")
    login(client, moderator)
    html = client.get(reverse("moderation_log", args=[debate.code]), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    expected = {
        "en": [
            "status:</span> Pending",
            "status:</span> Rejected",
            "reason:</span> Hors sujet",
            "muted:</span> no",
            "muted:</span> yes",
            "pre-moderate questions:</span> yes",
        ],
        "fr": [
            "statut\u00a0:</span> En attente",
            "statut\u00a0:</span> Rejetée",
            "motif\u00a0:</span> Hors sujet",
            "suspendu·e\u00a0:</span> non",
            "suspendu·e\u00a0:</span> oui",
            "pré-modérer les questions\u00a0:</span> oui",
        ],
    }[language]
    for text in expected:
        assert text in html, text
    assert "status: pending" not in html and "True" not in html and "False" not in html


def test_log_pages_require_a_role(client, debate):
    assert client.get(reverse("moderation_log", args=[debate.code])).status_code == 302
    login(client, make_user())
    assert client.get(reverse("moderation_log", args=[debate.code])).status_code == 403
    assert client.get(reverse("moderation_log_csv", args=[debate.code])).status_code == 403


def test_log_csv_export_neutralises_formulas(client, debate, moderator):
    q = pending(debate, '=HYPERLINK("http://evil") ?')
    services.question_edit(question=q, actor=moderator, text="@SUM(A1) corrigé ?")
    login(client, moderator)
    response = client.get(reverse("moderation_log_csv", args=[debate.code]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"moderation-log-{debate.code}.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["when", "actor", "action", "object_type", "object_id", "before", "after"]
    edit = [r for r in rows if r[2] == "question_edited"][0]
    assert edit[1] == moderator.username
    assert "HYPERLINK" in edit[5] and "@SUM" in edit[6]


@pytest.mark.parametrize(
    "value,expected",
    [
        ("=1+1", "'=1+1"),
        ("+33 6", "'+33 6"),
        ("-2", "'-2"),
        ("@cmd", "'@cmd"),
        ("\t=x", "'\t=x"),
        ("ok", "ok"),
        (None, ""),
        (42, "42"),
        ("a=b", "a=b"),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_csv_response_escapes_every_cell():
    response = csv_response("x.csv", ["=h"], [["-1", "fine"]])
    text = response.content.decode("utf-8-sig")
    assert text.splitlines() == ["'=h", "'-1,fine"]


@pytest.mark.parametrize("action", ["answer", "unmute", "unstar", "arg_restore", "clear_screen"])
def test_remaining_actions_forbidden_for_citizen_and_foreign_staff(client, debate, moderator, action):
    objs = _setup(debate, moderator)
    data = {
        "action": action,
        "question": objs["q_approved"].pk,
        "participant": objs["participant"].pk,
        "argument": objs["arg"].pk,
        "text": "Réponse",
    }
    before = _snapshot(debate)
    assert client.post(act_url(debate), data).status_code == 403
    other = make_debate()
    login(client, make_official(other) if action == "answer" else make_moderator(other))
    assert client.post(act_url(debate), data, **HX).status_code == 403
    assert _snapshot(debate) == before and not objs["q_approved"].answers.exists()
