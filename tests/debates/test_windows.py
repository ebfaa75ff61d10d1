"""Windows, cursors, console pages, merge search and duplicate suggestions (debates.selectors), and per-row
versions: the same tests on SQLite and on PostgreSQL (pg_trgm)."""

from __future__ import annotations

import pytest
from django.db import connection

from debates import selectors, services
from debates.models import Question
from tests.factories import make_debate, make_moderator, make_participant

pytestmark = pytest.mark.django_db


def _ask(debate, text, *, approve=True, upvotes=0):
    p = make_participant(debate)
    q = services.question_submit(debate=debate, participant=p, text=text)
    if approve and q.status == Question.Status.PENDING:
        Question.objects.filter(pk=q.pk).update(status=Question.Status.APPROVED)
    if upvotes:
        Question.objects.filter(pk=q.pk).update(upvote_count=upvotes)
    return Question.objects.get(pk=q.pk)


def _walk(debate, order, limit):
    seen, cursor, rounds = [], None, 0
    while True:
        items, cursor = selectors.question_window(debate, order=order, limit=limit, cursor=cursor)
        seen += [q.pk for q in items]
        rounds += 1
        if cursor is None:
            return seen, rounds


def test_top_window_walks_every_question_once_in_order():
    debate = make_debate(premoderation=False)
    made = [_ask(debate, f"Question numéro {i} sur la voirie", upvotes=i % 7) for i in range(23)]
    seen, rounds = _walk(debate, "top", 5)
    assert rounds == 5
    assert sorted(seen) == sorted(q.pk for q in made)
    expected = [q.pk for q in sorted(made, key=lambda q: (-q.upvote_count, q.created_at, q.pk))]
    assert seen == expected


def test_recent_window_and_new_items_do_not_shift_the_next_page():
    debate = make_debate(premoderation=False)
    made = [_ask(debate, f"Question récente {i}") for i in range(12)]
    first, cursor = selectors.question_window(debate, order="recent", limit=5)
    assert [q.pk for q in first] == [q.pk for q in made[::-1][:5]]
    _ask(debate, "Une question arrivée pendant la lecture")
    second, _cursor = selectors.question_window(debate, order="recent", limit=5, cursor=cursor)
    assert [q.pk for q in second] == [q.pk for q in made[::-1][5:10]]


def test_hidden_questions_are_not_in_windows():
    debate = make_debate(premoderation=True)
    visible = _ask(debate, "Visible question about the tram")
    _ask(debate, "Pending question about the tram", approve=False)
    items, cursor = selectors.question_window(debate)
    assert [q.pk for q in items] == [visible.pk] and cursor is None


@pytest.mark.parametrize("raw", ["garbage", "a:b:c", "eyJ4IjoxfQ:1abc:def"])
def test_bad_cursor_is_refused(raw):
    debate = make_debate()
    with pytest.raises(selectors.BadCursor):
        selectors.question_window(debate, cursor=raw)


def test_cursor_of_another_list_or_debate_is_refused():
    debate, other = make_debate(premoderation=False), make_debate(premoderation=False)
    for i in range(4):
        _ask(debate, f"Question {i} pour le curseur")
    _items, cursor = selectors.question_window(debate, order="top", limit=2)
    assert cursor
    with pytest.raises(selectors.BadCursor):
        selectors.question_window(debate, order="recent", cursor=cursor)
    with pytest.raises(selectors.BadCursor):
        selectors.question_window(other, order="top", cursor=cursor)
    with pytest.raises(selectors.BadCursor):
        selectors.question_window(debate, order="sideways")


def test_search_window():
    debate = make_debate(premoderation=False)
    pool = _ask(debate, "Quand la piscine municipale rouvrira-t-elle ?")
    _ask(debate, "Le budget des écoles")
    items, _ = selectors.question_window(debate, search="PISCINE")
    assert [q.pk for q in items] == [pool.pk]
    items, _ = selectors.question_window(debate, search="pi")  # under 3 characters: no filter
    assert len(items) == 2


def test_console_pages_have_exact_counts():
    debate = make_debate(premoderation=True)
    for i in range(7):
        _ask(debate, f"En attente {i}", approve=False)
    page = selectors.pending_page(debate, page=2, per_page=3)
    assert page["count"] == 7 and page["pages"] == 3 and page["number"] == 2 and len(page["items"]) == 3
    last = selectors.pending_page(debate, page="999", per_page=3)
    assert last["number"] == 3 and len(last["items"]) == 1
    assert selectors.pending_page(debate, page="x", per_page=3)["number"] == 1


def test_merge_candidates_search_as_you_type():
    debate = make_debate(premoderation=False)
    dup = _ask(debate, "Pourquoi la piscine est-elle fermée ?")
    pool = _ask(debate, "Quand la piscine municipale rouvrira-t-elle ?", upvotes=3)
    _ask(debate, "Le stationnement en centre-ville")
    found = selectors.merge_candidates(debate, exclude=dup.pk, search="piscine")
    assert [q.pk for q in found] == [pool.pk]
    found = selectors.merge_candidates(debate, exclude=dup.pk, search="pisc")
    assert [q.pk for q in found] == [pool.pk]
    assert dup.pk not in [q.pk for q in selectors.merge_candidates(debate, exclude=dup.pk)]


def test_similar_questions_rank_likely_duplicates_first():
    debate = make_debate(premoderation=False)
    q = _ask(debate, "Quand les travaux du tramway seront-ils terminés ?")
    close = _ask(debate, "Quand les travaux du tramway seront terminés ?")
    near = _ask(debate, "Les travaux du tramway durent trop longtemps")
    _ask(debate, "Le budget participatif de la médiathèque")
    similar = selectors.similar_questions(q)
    assert similar[0].pk == close.pk
    assert near.pk in [s.pk for s in similar]
    assert len(similar) == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index exists on PostgreSQL only")
def test_trigram_index_exists():
    with connection.cursor() as cur:
        cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'debates_question_text_trgm'")
        (definition,) = cur.fetchone()
    assert "gin_trgm_ops" in definition


def test_versions_grow_with_every_change_in_the_same_update():
    debate = make_debate(premoderation=True)
    mod = make_moderator(debate)
    q = _ask(debate, "Version de la question", approve=False)
    assert q.version == 1
    services.question_approve(question=q, actor=mod)
    v_approved = Question.objects.get(pk=q.pk).version
    assert v_approved == 2
    services.question_upvote(question=q, participant=make_participant(debate))
    assert Question.objects.get(pk=q.pk).version == 3
    services.question_edit(question=q, actor=mod, text="Version éditée de la question")
    services.question_star(question=q, actor=mod, starred=True)
    assert Question.objects.get(pk=q.pk).version == 5
    services.question_reject(question=q, actor=mod, reason="hors sujet")
    assert Question.objects.get(pk=q.pk).version == 6  # a removal is a version too (the tombstone's)


def test_first_argument_windows_of_several_polls_are_each_polls_own_first_window():
    """A page reads every poll's first windows in one query (row numbers per poll and side): the same arguments, in
    the same order, with the same "show more" cursor as the one-window read, ties in support and hidden ones
    included."""
    from debates.models import Argument
    from tests.factories import make_poll

    debate = make_debate(premoderation=False)
    actor = make_moderator(debate)
    polls = [make_poll(debate, actor=actor) for _ in range(3)]
    for n, poll in enumerate(polls):
        for i in range(2 + 3 * n):  # 2, 5 and 8 per side: shorter and longer than a window of 4
            for side in selectors.ARGUMENT_SIDES:
                a = services.argument_post(poll=poll, participant=make_participant(debate), side=side, text=f"Arg {i}")
                Argument.objects.filter(pk=a.pk).update(support_count=i % 3)  # ties
    first = Argument.objects.filter(poll=polls[2], side="for").order_by("id")[0]
    Argument.objects.filter(pk=first.pk).update(status=Argument.Status.HIDDEN)
    cursors = []
    for include_hidden in (False, True):
        together = selectors.first_argument_windows(polls, include_hidden=include_hidden, limit=4)
        for poll in polls:
            for side in selectors.ARGUMENT_SIDES:
                alone_items, alone_cursor = selectors.argument_window(
                    poll, side, include_hidden=include_hidden, limit=4
                )
                items, cursor = together[(poll.pk, side)]
                assert [a.pk for a in items] == [a.pk for a in alone_items]
                assert [a.support for a in items] == [a.support for a in alone_items]
                assert cursor == alone_cursor
                cursors.append(cursor)
    assert None in cursors and any(cursors)  # both ends of the window were compared
