"""Contract: what one event sends to each listening citizen does not grow with the debate. Sizes are deterministic
(fixed texts and names), so this is a byte count, not a timing: an upvote flush sends the changed count only,
a new question one insert, in a debate of 500 questions as in one of 5."""

from __future__ import annotations

import pytest

from debates import fragments, services
from debates.models import Question
from tests.factories import make_debate, make_participant

pytestmark = pytest.mark.django_db

TEXT = "Quand les travaux de la ligne de tramway seront-ils terminés dans le quartier ? " * 2  # 160 characters


def _debate_with(n: int):
    debate = make_debate(premoderation=False)
    author = make_participant(debate, name="Camille")
    Question.objects.bulk_create(
        [
            Question(debate=debate, author=author, text=TEXT, status=Question.Status.APPROVED, upvote_count=i % 40)
            for i in range(n)
        ]
    )
    return debate, author


def _sizes(debate, author) -> dict[str, int]:
    target = Question.objects.filter(debate=debate).order_by("pk").first()
    upvote = fragments.render(debate.pk, {f"qn:{target.pk}"}, ["public.fr", "moderators.fr"], None)
    question = services.question_submit(debate=debate, participant=author, text=TEXT)
    insert = fragments.render(debate.pk, {f"q+:{question.pk}", "counters"}, ["public.fr", "moderators.fr"], None)

    def size(frames, audience):
        return sum(len(html.encode()) for _k, _v, html in frames[audience])

    return {
        "upvote": size(upvote, "public.fr"),
        "question": size(insert, "public.fr"),
        "upvote_moderators": size(upvote, "moderators.fr"),
        "question_moderators": size(insert, "moderators.fr"),
    }


def test_event_fragments_do_not_grow_with_the_debate():
    small = _sizes(*_debate_with(5))
    big = _sizes(*_debate_with(500))
    print("fragment bytes, 5 vs 500 questions:", small, big)
    # the ids have more digits in the big debate (q-1234 vs q-12): a few dozen bytes, nothing more
    for kind in small:
        assert abs(big[kind] - small[kind]) <= 48, (kind, small[kind], big[kind])
    assert big["upvote"] <= 200  # bytes per changed item, per listening citizen
    assert big["question"] <= 2048  # bytes per new question, per listening citizen
    assert big["upvote_moderators"] <= 200
    assert big["question_moderators"] <= 6 * 1024  # the console's card carries its moderation forms


def test_an_upvote_flush_of_several_questions_is_their_counts_only():
    debate, _author = _debate_with(500)
    ids = list(Question.objects.filter(debate=debate).order_by("pk").values_list("pk", flat=True)[:20])
    frames = fragments.render(debate.pk, {f"qn:{i}" for i in ids}, ["public.fr"], None)
    html = "".join(h for _k, _v, h in frames["public.fr"])
    assert len(frames["public.fr"]) == 20 and TEXT not in html
    assert len(html.encode()) <= 20 * 200


def test_the_screen_re_renders_its_top_only_for_counts_that_may_reorder_it(django_assert_max_num_queries):
    """An upvote far below the projected screen's top questions sends the screen nothing (most upvotes of a big
    debate); one of a question shown, or one upvote short of the last shown, re-renders that short list."""
    debate, _author = _debate_with(60)  # counts 0..39, then 0..19 again
    by_top = list(Question.objects.filter(debate=debate).order_by("-upvote_count", "created_at", "id"))
    shown, last = by_top[: fragments.SCREEN_TOP], by_top[fragments.SCREEN_TOP - 1]
    far = next(q for q in reversed(by_top) if q.upvote_count < last.upvote_count - 1)
    near = next(q for q in by_top[fragments.SCREEN_TOP :] if q.upvote_count >= last.upvote_count - 1)

    def screen(q):
        frames = fragments.render(debate.pk, {f"qn:{q.pk}"}, ["screen", "public.fr"], None)
        return [key for key, _v, _h in frames["screen"]]

    with django_assert_max_num_queries(4):  # an upvote flush far below: no card, author, answers or screen read
        assert screen(far) == []
    assert screen(shown[0]) == ["questions"] and screen(last) == ["questions"] and screen(near) == ["questions"]
    small, _author = _debate_with(3)  # fewer questions than the screen lists: every count shows
    frames = fragments.render(small.pk, {f"qn:{Question.objects.filter(debate=small).first().pk}"}, ["screen"], None)
    assert [key for key, _v, _h in frames["screen"]] == ["questions"]


def test_an_upvote_flush_for_citizens_reads_the_counts_only(django_assert_num_queries):
    """The render of a count flush reads the changed counts and nothing else (not the debate: count fragments name
    none of its fields); a debate deleted meanwhile renders nothing."""
    debate, _author = _debate_with(50)
    target = Question.objects.filter(debate=debate).order_by("pk").first()
    with django_assert_num_queries(1):
        frames = fragments.render(debate.pk, {f"qn:{target.pk}"}, ["public.fr", "public.en"], None)
    assert [[key for key, _v, _h in frames[a]] for a in ("public.fr", "public.en")] == [[f"qn:{target.pk}"]] * 2
    debate_id = debate.pk
    debate.delete()
    assert fragments.render(debate_id, {f"qn:{target.pk}"}, ["public.fr"], None) == {"public.fr": []}


def test_a_count_flush_that_reorders_the_screen_loads_only_the_debate_fields_it_shows(django_assert_max_num_queries):
    """The debate of a count flush is not read up front; the screen's top list, when it must be re-rendered, loads
    the one field of it that it shows (which question is on screen), not each field in turn."""
    debate, _author = _debate_with(10)
    top = Question.objects.filter(debate=debate).order_by("-upvote_count", "created_at", "id").first()
    with django_assert_max_num_queries(6):  # may reorder?, the top, their answers, officials, count, on screen
        frames = fragments.render(debate.pk, {f"qn:{top.pk}"}, ["screen"], None)
    assert [key for key, _v, _h in frames["screen"]] == ["questions"]
