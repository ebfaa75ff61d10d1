"""Every write of the domain: what it stores, what it refuses (nothing stored), what it logs and what it pushes."""

from __future__ import annotations

import pytest

from debates import selectors, services
from debates.models import Answer, Argument, Debate, ModerationLog, Poll, Question, QuestionUpvote, Vote
from debates.services import ServiceError
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


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- questions ----------------------------------------------------------------------------------------------------
def test_premoderated_question_is_pending_and_pushed_to_moderators_only(broadcasts):
    debate = make_debate(premoderation=True)
    broadcasts.clear()
    q = services.question_submit(
        debate=debate, participant=make_participant(debate), text="  Et les pistes cyclables ?  "
    )
    assert q.status == Question.Status.PENDING and q.text == "Et les pistes cyclables ?"
    assert broadcasts.keys() == {f"p+:{q.pk}", "counters"}  # one insert into the console's queue
    assert "Et les pistes cyclables" not in broadcasts.html("public.fr")
    assert "Et les pistes cyclables" in broadcasts.html("moderators.fr")


def test_unmoderated_question_is_published_and_pushed(broadcasts):
    debate = make_debate(premoderation=False)
    broadcasts.clear()
    q = services.question_submit(debate=debate, participant=make_participant(debate), text="Quand rouvre la piscine ?")
    assert q.status == Question.Status.APPROVED and q.approved_at
    assert "questions" in broadcasts.keys()
    assert f'id="q-{q.pk}"' in broadcasts.html("public.fr")
    assert "Quand rouvre la piscine" in broadcasts.html("public.en")


def test_word_filter_holds_a_question_even_without_premoderation():
    debate = make_debate(premoderation=False, word_filter="arnaque\nidiot")
    q = services.question_submit(
        debate=debate, participant=make_participant(debate), text="C'est une ARNAQUE ce projet"
    )
    assert q.status == Question.Status.PENDING and q.flagged_words == "arnaque"


@pytest.mark.parametrize(
    "text, fragment",
    [("", "empty"), ("   \n ", "empty"), ("x" * 281, "too long")],
)
def test_bad_question_text_is_refused_and_nothing_stored(text, fragment):
    debate = make_debate()
    with pytest.raises(ServiceError) as exc:
        services.question_submit(debate=debate, participant=make_participant(debate), text=text)
    assert exc.value.status == 400
    assert Question.objects.count() == 0


@pytest.mark.parametrize("status", [Debate.Status.CLOSED, Debate.Status.DRAFT])
def test_questions_refused_when_debate_is_not_open(status):
    debate = make_debate(status=status)
    with pytest.raises(ServiceError) as exc:
        services.question_submit(debate=debate, participant=make_participant(debate), text="Une question ?")
    assert exc.value.status == 409
    assert Question.objects.count() == 0


def test_muted_participant_cannot_post():
    debate = make_debate(premoderation=False)
    p = make_participant(debate)
    services.participant_set_muted(participant=p, muted=True, actor=make_moderator(debate))
    with pytest.raises(ServiceError) as exc:
        services.question_submit(debate=debate, participant=p, text="Une question ?")
    assert exc.value.status == 403
    with pytest.raises(ServiceError):
        services.argument_post(poll=make_poll(debate), participant=p, side="for", text="Un argument.")
    assert Question.objects.count() == 0 and Argument.objects.count() == 0


def test_name_required_when_anonymous_participation_is_off():
    debate = make_debate(allow_anonymous=False)
    with pytest.raises(ServiceError):
        services.question_submit(debate=debate, participant=make_participant(debate), text="Une question ?")
    q = services.question_submit(debate=debate, participant=make_participant(debate, "Léa"), text="Une question ?")
    assert q.author.display_name == "Léa"


def test_upvote_counts_once_per_participant_and_is_coalesced(broadcasts):
    debate = make_debate(premoderation=False)
    q = make_question(debate)
    p1, p2 = make_participant(debate), make_participant(debate)
    broadcasts.clear()
    services.question_upvote(question=q, participant=p1)
    services.question_upvote(question=q, participant=p2)
    with pytest.raises(ServiceError) as exc:
        services.question_upvote(question=q, participant=p1)
    assert exc.value.status == 409
    q.refresh_from_db()
    assert q.upvote_count == 2 == QuestionUpvote.objects.filter(question=q).count()
    # No server loop in a plain test: the hot mark publishes at once.
    assert f"qn:{q.pk}" in broadcasts.keys()  # the count only, not the list
    assert f'<span id="q-{q.pk}-n" class="count" data-item="q-{q.pk}" data-v="3" hx-swap-oob="true">2</span>' in (
        broadcasts.html("public.fr")
    )


def test_pending_question_cannot_be_upvoted():
    debate = make_debate()
    q = make_question(debate, approve=False)
    with pytest.raises(ServiceError) as exc:
        services.question_upvote(question=q, participant=make_participant(debate))
    assert exc.value.status == 409
    assert QuestionUpvote.objects.count() == 0


def test_approve_requires_a_moderator_of_this_debate():
    debate = make_debate()
    q = make_question(debate, approve=False)
    other = make_moderator(make_debate())
    for actor in (None, make_user(), other, make_official(debate)):
        with pytest.raises(ServiceError) as exc:
            services.question_approve(question=q, actor=actor)
        assert exc.value.status == 403
    q.refresh_from_db()
    assert q.status == Question.Status.PENDING


def test_approve_publishes_logs_and_refuses_a_second_time(broadcasts):
    debate = make_debate()
    mod = make_moderator(debate, username="camille")
    q = make_question(debate, approve=False, text="Pourquoi fermer la bibliothèque ?")
    broadcasts.clear()
    services.question_approve(question=q, actor=mod)
    assert {f"q+:{q.pk}", "counters", "log"} <= broadcasts.keys()
    assert "Pourquoi fermer la biblioth" in broadcasts.html("public.fr")
    assert 'hx-swap-oob="afterbegin:#qlist"' in broadcasts.html("public.fr")
    entry = ModerationLog.objects.get(action="question_approved")
    assert entry.actor == mod and entry.object_id == q.pk
    assert entry.before == {"status": "pending"} and entry.after == {"status": "approved"}
    # A second moderator acting on a stale copy is told who handled it.
    with pytest.raises(ServiceError) as exc:
        services.question_approve(question=q, actor=make_moderator(debate))
    assert exc.value.status == 409 and "camille" in exc.value.message
    assert ModerationLog.objects.filter(action="question_approved").count() == 1


def test_reject_takes_the_question_off_screen():
    debate = make_debate()
    mod = make_moderator(debate)
    q = make_question(debate, actor=mod)
    services.question_put_on_screen(question=q, debate=debate, actor=mod)
    services.question_reject(question=q, actor=mod, reason="Hors sujet")
    debate.refresh_from_db()
    q.refresh_from_db()
    assert debate.on_screen_id is None and q.status == "rejected" and q.rejection_reason == "Hors sujet"
    assert q not in selectors.public_questions(debate)


def test_one_question_on_screen_at_most(broadcasts):
    debate = make_debate()
    mod = make_moderator(debate)
    q1, q2 = make_question(debate, actor=mod, text="Première ?"), make_question(debate, actor=mod, text="Seconde ?")
    services.question_put_on_screen(question=q1, debate=debate, actor=mod)
    broadcasts.clear()
    services.question_put_on_screen(question=q2, debate=debate, actor=mod)
    debate.refresh_from_db()
    assert debate.on_screen_id == q2.pk
    assert "onscreen" in broadcasts.keys()
    html = broadcasts.html("public.fr")
    onscreen = html[html.index('id="onscreen"') :]
    assert "Seconde\u202f?" in onscreen[: onscreen.index("</section>")]  # French typography, on display
    services.question_put_on_screen(question=None, debate=debate, actor=mod)
    debate.refresh_from_db()
    assert debate.on_screen_id is None


def test_question_of_another_debate_cannot_go_on_screen():
    debate, other = make_debate(), make_debate()
    with pytest.raises(ServiceError) as exc:
        services.question_put_on_screen(question=make_question(other), debate=debate, actor=make_moderator(debate))
    assert exc.value.status == 404


def test_merge_combines_upvotes_one_per_person():
    debate = make_debate()
    mod = make_moderator(debate)
    kept, dup = make_question(debate, actor=mod), make_question(debate, actor=mod)
    both, only_dup = make_participant(debate), make_participant(debate)
    for p in (both,):
        services.question_upvote(question=kept, participant=p)
    for p in (both, only_dup):
        services.question_upvote(question=dup, participant=p)
    kept = services.question_merge(duplicate=dup, into=kept, actor=mod)
    dup.refresh_from_db()
    assert dup.merged_into_id == kept.pk and dup.upvote_count == 0
    # both + only_dup + the duplicate's author
    assert kept.upvote_count == 3 == QuestionUpvote.objects.filter(question=kept).count()
    assert dup not in selectors.public_questions(debate)


def test_answer_by_official_marks_answered_and_is_pushed(broadcasts):
    debate = make_debate()
    official = make_official(debate, title="Maire de Lyon")
    q = make_question(debate)
    with pytest.raises(ServiceError) as exc:
        services.answer_post(question=q, actor=make_moderator(debate), text="Réponse")
    assert exc.value.status == 403
    broadcasts.clear()
    services.answer_post(question=q, actor=official, text="Les travaux commencent en mai.")
    q.refresh_from_db()
    assert q.status == Question.Status.ANSWERED and Answer.objects.filter(question=q).count() == 1
    html = broadcasts.html("public.fr")
    assert "Les travaux commencent en mai." in html and "Maire de Lyon" in html


# --- polls and votes ----------------------------------------------------------------------------------------------
def test_poll_open_and_close_are_pushed(broadcasts):
    debate = make_debate()
    mod = make_moderator(debate)
    poll = make_poll(debate, open_now=False, actor=mod)
    assert poll.status == Poll.Status.DRAFT
    assert "Faut-il piétonniser" not in broadcasts.html("public.fr")
    broadcasts.clear()
    services.poll_open(poll=poll, actor=mod)
    assert "polls" in broadcasts.keys()
    assert f'id="poll-{poll.pk}"' in broadcasts.html("public.fr")
    with pytest.raises(ServiceError):
        services.poll_open(poll=poll, actor=mod)
    broadcasts.clear()
    services.poll_close(poll=poll, actor=mod)
    html = broadcasts.html("public.fr")
    assert "poll-closed" in html and f"/poll/{poll.pk}/vote" not in html


def test_multiple_choice_poll_needs_two_distinct_options():
    debate = make_debate()
    mod = make_moderator(debate)
    for options in ([], ["Seul"], ["A", "A"]):
        with pytest.raises(ServiceError):
            make_poll(debate, kind=Poll.Kind.CHOICE, options=options, actor=mod)
    assert Poll.objects.count() == 0
    poll = make_poll(debate, kind=Poll.Kind.CHOICE, options=["Parc", "Piscine", " "], actor=mod)
    assert [o.label for o in poll.options.all()] == ["Parc", "Piscine"]


def test_vote_is_changeable_and_counted_once(broadcasts):
    debate = make_debate()
    poll = make_poll(debate)
    yes, no, abstain = poll.options.all()
    p = make_participant(debate)
    broadcasts.clear()
    services.vote_cast(poll=poll, participant=p, option_id=yes.pk)
    services.vote_cast(poll=poll, participant=p, option_id=no.pk)
    services.vote_cast(poll=poll, participant=make_participant(debate), option_id=str(no.pk))
    assert Vote.objects.filter(poll=poll).count() == 2
    assert [o["count"] for o in selectors.poll_tally(poll)["options"]] == [0, 2, 0]
    assert broadcasts.keys() == {f"poll:{poll.pk}"}
    last = broadcasts[-1][1]["public.fr"][-1][2]
    assert f'id="poll-{poll.pk}-results"' in last and "2 votes" in last


@pytest.mark.parametrize("bad", ["other-poll", "nonsense", None, "999999"])
def test_vote_with_a_foreign_or_bogus_option_is_refused(bad):
    debate = make_debate()
    poll, other = make_poll(debate), make_poll(debate)
    option = other.options.first().pk if bad == "other-poll" else bad
    with pytest.raises(ServiceError) as exc:
        services.vote_cast(poll=poll, participant=make_participant(debate), option_id=option)
    assert exc.value.status == 400
    assert Vote.objects.count() == 0


def test_vote_on_closed_poll_or_closed_debate_is_refused():
    debate = make_debate()
    mod = make_moderator(debate)
    poll = make_poll(debate, actor=mod)
    services.poll_close(poll=poll, actor=mod)
    with pytest.raises(ServiceError) as exc:
        services.vote_cast(poll=poll, participant=make_participant(debate), option_id=poll.options.first().pk)
    assert exc.value.status == 409
    poll2 = make_poll(debate, actor=mod)
    services.debate_set_status(debate=debate, status=Debate.Status.CLOSED, actor=mod)
    poll2.refresh_from_db()
    assert poll2.status == Poll.Status.CLOSED  # closing the debate closes its polls
    with pytest.raises(ServiceError):
        services.vote_cast(poll=poll2, participant=make_participant(debate), option_id=poll2.options.first().pk)
    assert Vote.objects.count() == 0


def test_participant_of_another_debate_cannot_vote():
    debate = make_debate()
    poll = make_poll(debate)
    with pytest.raises(ServiceError) as exc:
        services.vote_cast(poll=poll, participant=make_participant(make_debate()), option_id=poll.options.first().pk)
    assert exc.value.status == 403
    assert Vote.objects.count() == 0


def test_hidden_results_are_not_broadcast_until_the_poll_closes(broadcasts):
    debate = make_debate()
    mod = make_moderator(debate)
    poll = make_poll(debate, results=Poll.Results.HIDDEN, actor=mod)
    yes = poll.options.first()
    broadcasts.clear()
    services.vote_cast(poll=poll, participant=make_participant(debate), option_id=yes.pk)
    public = broadcasts.html("public.fr")
    assert "bar-row" not in public and "1 vote" in public
    assert "bar-row" in broadcasts.html("moderators.fr")
    broadcasts.clear()
    services.poll_close(poll=poll, actor=mod)
    assert "bar-row" in broadcasts.html("public.fr")


# --- arguments ----------------------------------------------------------------------------------------------------
def test_argument_posted_upvoted_and_hidden_are_pushed(broadcasts):
    debate = make_debate()
    mod = make_moderator(debate)
    poll = make_poll(debate, actor=mod)
    p = make_participant(debate)
    broadcasts.clear()
    arg = services.argument_post(poll=poll, participant=p, side="against", text="Les commerces vont souffrir.")
    assert broadcasts.keys() == {f"a+:{arg.pk}"}  # one insert at the end of its side
    assert f'hx-swap-oob="beforeend:#poll-{poll.pk}-against"' in broadcasts.html("public.fr")
    assert "Les commerces vont souffrir." in broadcasts.html("public.fr")
    broadcasts.clear()
    services.argument_upvote(argument=arg, participant=make_participant(debate))
    assert selectors.poll_arguments(poll)["against"][0].support == 1
    assert broadcasts.keys() == {f"an:{arg.pk}"}
    assert (
        f'<span id="arg-{arg.pk}-n" class="count" data-item="arg-{arg.pk}" data-v="2" hx-swap-oob="true">1</span>'
        in (broadcasts.html("public.fr"))
    )
    broadcasts.clear()
    services.argument_set_status(argument=arg, actor=mod, status=Argument.Status.HIDDEN)
    assert f"a:{arg.pk}" in broadcasts.keys()
    public = broadcasts.html("public.fr")
    assert (
        f'<template id="arg-{arg.pk}" hx-swap-oob="delete" data-item="arg-{arg.pk}" data-v="3" data-tombstone>'
        in public
    )
    assert f'id="poll-{poll.pk}-args"' in public and "Les commerces vont souffrir." not in public


def test_second_argument_support_is_refused():
    debate = make_debate()
    poll = make_poll(debate)
    p = make_participant(debate)
    arg = services.argument_post(poll=poll, participant=p, side="for", text="Moins de bruit.")
    services.argument_upvote(argument=arg, participant=p)
    with pytest.raises(ServiceError) as exc:
        services.argument_upvote(argument=arg, participant=p)
    assert exc.value.status == 409
    assert arg.upvotes.count() == 1


@pytest.mark.parametrize(
    "side, text",
    [("maybe", "Un argument."), ("for", ""), ("for", "y" * 501), ("", "Un argument.")],
)
def test_bad_argument_is_refused_and_nothing_stored(side, text):
    debate = make_debate()
    poll = make_poll(debate)
    with pytest.raises(ServiceError) as exc:
        services.argument_post(poll=poll, participant=make_participant(debate), side=side, text=text)
    assert exc.value.status == 400
    assert Argument.objects.count() == 0


def test_arguments_only_on_open_propositions():
    debate = make_debate()
    mod = make_moderator(debate)
    choice = make_poll(debate, kind=Poll.Kind.CHOICE, options=["A", "B"], actor=mod)
    with pytest.raises(ServiceError):
        services.argument_post(poll=choice, participant=make_participant(debate), side="for", text="Un argument.")
    prop = make_poll(debate, actor=mod)
    services.poll_close(poll=prop, actor=mod)
    with pytest.raises(ServiceError) as exc:
        services.argument_post(poll=prop, participant=make_participant(debate), side="for", text="Un argument.")
    assert exc.value.status == 409
    assert Argument.objects.count() == 0


def test_filtered_argument_is_held_and_not_public(broadcasts):
    debate = make_debate(word_filter="Crétin")
    poll = make_poll(debate)
    broadcasts.clear()
    arg = services.argument_post(
        poll=poll, participant=make_participant(debate), side="for", text="Quel cretin ce projet"
    )
    assert arg.status == Argument.Status.HELD
    assert "Quel cretin" not in broadcasts.html("public.fr")
    assert selectors.poll_arguments(poll) == {"for": [], "against": []}


# --- clock and life cycle -----------------------------------------------------------------------------------------
def test_clock_actions_are_pushed_as_status(broadcasts):
    debate = make_debate(segments=2)
    mod = make_moderator(debate)
    broadcasts.clear()
    seg = services.clock_action(debate=debate, actor=mod, action="start")
    assert seg.is_running and "status" in broadcasts.keys()
    assert 'data-state="running"' in broadcasts.html("public.fr")
    services.clock_action(debate=debate, actor=mod, action="pause")
    with pytest.raises(ServiceError):
        services.clock_action(debate=debate, actor=mod, action="pause")
    services.clock_action(debate=debate, actor=mod, action="resume")
    seg = services.clock_action(debate=debate, actor=mod, action="extend", seconds=60)
    assert seg.extra_seconds == 60
    broadcasts.clear()
    seg2 = services.clock_action(debate=debate, actor=mod, action="next")
    assert seg2.title == "Segment 2" and seg2.is_running
    assert "Segment 2" in broadcasts.html("public.fr")
    with pytest.raises(ServiceError):
        services.clock_action(debate=debate, actor=mod, action="next")
    with pytest.raises(ServiceError):
        services.clock_action(debate=debate, actor=mod, action="explode")
    with pytest.raises(ServiceError) as exc:
        services.clock_action(debate=debate, actor=make_user(), action="start")
    assert exc.value.status == 403
    debate.refresh_from_db()
    state = selectors.clock_state(debate)
    assert state["segment"]["title"] == "Segment 2" and state["segment"]["state"] == "running"


def test_debate_status_transitions_are_validated():
    debate = make_debate(status=Debate.Status.DRAFT)
    mod = make_moderator(debate)
    services.debate_set_status(debate=debate, status=Debate.Status.SCHEDULED, actor=mod)
    services.debate_set_status(debate=debate, status=Debate.Status.LIVE, actor=mod)
    debate = services.debate_set_status(debate=debate, status=Debate.Status.CLOSED, actor=mod)
    assert debate.closed_at and debate.opened_at
    for target in (Debate.Status.LIVE, Debate.Status.DRAFT, "nonsense"):
        with pytest.raises(ServiceError) as exc:
            services.debate_set_status(debate=debate, status=target, actor=mod)
        assert exc.value.status == 409
    debate.refresh_from_db()
    assert debate.status == Debate.Status.CLOSED
    assert list(ModerationLog.objects.filter(action="debate_status").values_list("after__status", flat=True)) == [
        "closed",
        "live",
        "scheduled",
    ]


def test_settings_update_validates_and_ignores_unknown_fields():
    debate = make_debate()
    mod = make_moderator(debate)
    services.debate_update_settings(debate=debate, actor=mod, premoderation=False, code="XXXXXX")
    debate.refresh_from_db()
    assert debate.premoderation is False and debate.code != "XXXXXX"
    with pytest.raises(services.ServiceError) as refused:  # a clear 400 for the settings page, not a crash
        services.debate_update_settings(debate=debate, actor=mod, question_max_length=1)
    assert refused.value.status == 400
    debate.refresh_from_db()
    assert debate.question_max_length == 280
