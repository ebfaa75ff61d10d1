"""The citizen page's windows (issue 13, item 2) on a debate of 2,000 questions: one window per page, "show more"
walks the next ones by opaque cursor (no repeat, nothing skipped), the Top and Recent tabs and the search ask for
their own windows, bad input is a 400 with a message (never a 500), searches are rate-limited per participant
(debates.limits), and a poll's arguments show their real totals with a "show more" of their own."""

from __future__ import annotations

import html as htmllib
import re
import time
from urllib.parse import unquote

import pytest
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext

from debates import fragments, selectors, services
from debates.models import Argument, Question
from tests.factories import make_debate, make_participant, make_poll

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
N = 2_000
TRAM_EVERY = 37  # every 37th question speaks of the tram: 55 of them


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")  # the messages checked are the English ones


@pytest.fixture
def seeded():
    debate = make_debate(premoderation=False)
    author = make_participant(debate, "Karim")
    statuses = ["approved"] * 8 + ["answered", "pending"]  # 10 % pending: never shown
    Question.objects.bulk_create(
        [
            Question(
                debate=debate,
                author=author,
                status=statuses[i % 10],
                upvote_count=(i * 7919) % 23,
                text=(
                    f"Quand le tram arrivera-t-il ? n°{i}" if i % TRAM_EVERY == 0 else f"Les loyers du quartier n°{i}"
                ),
            )
            for i in range(N)
        ],
        batch_size=500,
    )
    return debate


def _ids(content: str) -> list[int]:
    return [int(x) for x in re.findall(r'<li id="q-(\d+)"', content)]


def _more_url(content: str) -> str | None:
    m = re.search(r'<li class="more"><a [^>]*hx-get="([^"]+)"', content)
    return htmllib.unescape(m.group(1)) if m else None


def _cursor(content: str) -> str:
    return unquote(re.search(r"cursor=([^&\"]+)", _more_url(content)).group(1))


def _public(debate):
    return Question.objects.filter(debate=debate, status__in=["approved", "answered"], merged_into__isnull=True)


def _walk(client, url, params) -> tuple[list[int], int]:
    r = client.get(url, params, **HTMX)
    assert r.status_code == 200, r.content[:300]
    seen, rounds = _ids(r.content.decode()), 1
    nxt = _more_url(r.content.decode())
    while nxt:
        r = client.get(nxt, **HTMX)
        assert r.status_code == 200, r.content[:300]
        seen += _ids(r.content.decode())
        nxt = _more_url(r.content.decode())
        rounds += 1
    return seen, rounds


def test_the_page_carries_one_window_and_a_show_more(client, seeded):
    page = client.get(f"/d/{seeded.code}/").content.decode()
    assert len(_ids(page)) == selectors.WINDOW
    assert _more_url(page).startswith(f"/d/{seeded.code}/questions?order=top&cursor=")
    # The tabs' form the page script drives (static/js/live.js, "3b. Tabs").
    assert 'id="qsearch"' in page and 'id="qsearch-text"' in page and 'id="qorder"' in page


def test_show_more_walks_every_public_question_once_in_top_order(client, seeded):
    seen, rounds = _walk(client, f"/d/{seeded.code}/questions", {"order": "top"})
    expected = list(_public(seeded).order_by("-upvote_count", "created_at", "id").values_list("id", flat=True))
    assert len(expected) == 1_800
    assert seen == expected  # every one, once, in order (2,000 questions made in one second: ties by id)
    assert rounds == 60


def test_recent_tab_is_newest_first_and_its_windows_chain(client, seeded):
    url = f"/d/{seeded.code}/questions"
    first = client.get(url, {"order": "recent"}, **HTMX).content.decode()
    expected = list(_public(seeded).order_by("-created_at", "-id").values_list("id", flat=True))
    assert _ids(first) == expected[:30]
    second = client.get(_more_url(first), **HTMX).content.decode()
    assert _ids(second) == expected[30:60]
    assert "order=recent" in _more_url(second)


def test_search_finds_approved_questions_only_and_pages_them(client, seeded):
    url = f"/d/{seeded.code}/questions"
    seen, rounds = _walk(client, url, {"order": "top", "q": "TRAM"})
    tram = set(_public(seeded).filter(text__icontains="tram").values_list("id", flat=True))
    assert len(tram) == 50 and rounds == 2  # 55 tram questions, 5 of them pending
    assert set(seen) == tram and len(seen) == len(tram)
    # Fewer than three characters: no search, the tab's window.
    assert len(_ids(client.get(url, {"order": "top", "q": "tr"}, **HTMX).content.decode())) == 30
    # Nothing found: said so.
    empty = client.get(url, {"q": "piscine"}, **HTMX).content.decode()
    assert _ids(empty) == [] and "piscine" in empty and _more_url(empty) is None


def test_a_search_cursor_is_only_good_for_that_search(client, seeded):
    url = f"/d/{seeded.code}/questions"
    first = client.get(url, {"q": "tram"}, **HTMX).content.decode()
    cursor = _cursor(first)
    assert client.get(url, {"q": "tram", "cursor": cursor}, **HTMX).status_code == 200
    assert client.get(url, {"q": "loyers", "cursor": cursor}, **HTMX).status_code == 400
    assert client.get(url, {"cursor": cursor}, **HTMX).status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "forged"},
        {"cursor": "x" * 5000},
        {"order": "sideways"},
        {"order": "recent", "cursor": "TOP"},  # a cursor of the Top tab (filled in below)
        {"q": "loyers " * 20},  # 140 characters: over the 100 a search may have
        {"q": "x" * 100_000},
    ],
)
def test_bad_input_is_a_400_with_a_message(client, seeded, params):
    if params.get("cursor") == "TOP":
        page = client.get(f"/d/{seeded.code}/").content.decode()
        params["cursor"] = _cursor(page)
    r = client.get(f"/d/{seeded.code}/questions", params, **HTMX)
    assert r.status_code == 400
    assert r["HX-Reswap"] == "none"  # the list stays; the reason goes to the status line
    assert 'id="flash"' in r.content.decode() and "cannot be shown" in r.content.decode()
    # Without JavaScript the page itself: a 400 with the reason, and the first window.
    page = client.get(f"/d/{seeded.code}/", params)
    assert page.status_code == 400 and "cannot be shown" in page.content.decode()


def test_odd_characters_in_a_search_are_no_500(client, seeded):
    url = f"/d/{seeded.code}/questions"
    for q in ("tram\x00", "%%%", "_\\_", "\u202etram", "tram' OR 1=1 --"):
        assert client.get(url, {"q": q}, **HTMX).status_code == 200, q
    found = _ids(client.get(url, {"q": "tram\x00"}, **HTMX).content.decode())
    assert len(found) == 30  # the NUL is dropped, "tram" searched
    assert _ids(client.get(url, {"q": "%%%"}, **HTMX).content.decode()) == []  # a literal %, not a wildcard


def test_without_javascript_the_page_shows_the_named_window(client, seeded):
    r = client.get(f"/d/{seeded.code}/questions", {"order": "recent"})  # not htmx: the page
    assert r.status_code == 302 and r["Location"] == f"/d/{seeded.code}/?order=recent"
    page = client.get(r["Location"]).content.decode()
    expected = list(_public(seeded).order_by("-created_at", "-id").values_list("id", flat=True))
    assert _ids(page) == expected[:30]
    nxt = re.search(r'<li class="more"><a [^>]*href="([^"]+)"', page).group(1)
    assert htmllib.unescape(nxt).startswith(f"/d/{seeded.code}/?order=recent&cursor=")
    assert _ids(client.get(htmllib.unescape(nxt)).content.decode()) == expected[30:60]
    searched = client.get(f"/d/{seeded.code}/", {"q": "tram"}).content.decode()
    assert len(_ids(searched)) == 30 and 'value="tram"' in searched


def test_searches_are_rate_limited_per_participant(seeded, settings):
    settings.RATE_LIMITS = {"search": "3/60", "search_per_address": "5/60"}
    url = f"/d/{seeded.code}/questions"
    citizen = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert citizen.post(f"/d/{seeded.code}/name", {"display_name": "Inès"}, **HTMX).status_code == 200
    codes = [citizen.get(url, {"q": f"n°{i}"}, **HTMX).status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = citizen.get(url, {"q": "tram"}, **HTMX)
    assert refused.status_code == 429 and refused["HX-Reswap"] == "none" and refused["Retry-After"] == "60"
    assert "searched many times" in refused.content.decode()
    # Windows without a search (tabs, show more) are not searches.
    assert citizen.get(url, {"order": "recent"}, **HTMX).status_code == 200
    assert citizen.get(url, {"q": "tr"}, **HTMX).status_code == 200
    # Another participant has their own allowance; readers who never took part count per address.
    other = Client(HTTP_ACCEPT_LANGUAGE="en")
    other.post(f"/d/{seeded.code}/name", {"display_name": "Paul"}, **HTMX)
    assert other.get(url, {"q": "tram"}, **HTMX).status_code == 200
    reader = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert [reader.get(url, {"q": "tram"}, **HTMX).status_code for _ in range(6)][-2:] == [200, 429]


def test_a_window_is_small_and_quick(client, seeded, capsys):
    url = f"/d/{seeded.code}/questions"
    page = client.get(f"/d/{seeded.code}/").content.decode()
    deep = _more_url(page)
    for _ in range(20):  # twenty windows in: as cheap as the first (keyset, no OFFSET)
        deep = _more_url(client.get(deep, **HTMX).content.decode())
    timings = {}
    for name, target, params in (
        ("first", url, {"order": "top"}),
        ("recent", url, {"order": "recent"}),
        ("deep", deep, {}),
        ("search", url, {"q": "tram"}),
    ):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            r = client.get(target, params, **HTMX)
            elapsed = round((time.perf_counter() - started) * 1000, 1)
        timings[name] = (elapsed, len(r.content), len(queries))
        assert r.status_code == 200 and len(r.content) < 60_000
        assert len(queries) <= 8  # a few, whatever the depth: no count, no OFFSET, no query per question
    with capsys.disabled():
        print(f"\nwindows of 30 on {N} questions (ms, bytes, queries): {timings}")


def test_arguments_show_real_totals_and_more(client, settings):
    debate = make_debate(premoderation=False)
    poll = make_poll(debate)
    people = [make_participant(debate) for _ in range(3)]
    Argument.objects.bulk_create(
        [Argument(poll=poll, author=people[0], side="for", text=f"Pour, raison {i}") for i in range(25)]
        + [Argument(poll=poll, author=people[0], side="against", text=f"Contre, raison {i}") for i in range(4)]
        + [Argument(poll=poll, author=people[0], side="for", text="Cachée", status="hidden")]
    )
    page = client.get(f"/d/{debate.code}/").content.decode()
    assert f'id="poll-{poll.pk}-for-total" class="muted">(25)' in page
    assert f'id="poll-{poll.pk}-against-total" class="muted">(4)' in page
    shown = re.findall(r'<li id="arg-(\d+)"', page)
    assert len(shown) == fragments.ARGUMENTS_PER_SIDE + 4
    more = re.search(rf'id="poll-{poll.pk}-for-more" class="more"><button [^>]*hx-get="([^"]+)"', page)
    assert re.search(rf'id="poll-{poll.pk}-against-more" class="more"></p>', page)  # all four shown
    seen = [int(x) for x in shown]
    nxt = htmllib.unescape(more.group(1))
    while nxt:
        r = client.get(nxt, **HTMX)
        assert r.status_code == 200
        body = r.content.decode()
        seen += [int(x) for x in re.findall(r'<li id="arg-(\d+)"', body)]
        assert f'id="poll-{poll.pk}-for-more" class="more" hx-swap-oob="true"' in body
        m = re.search(r'hx-get="([^"]+)"', body)
        nxt = htmllib.unescape(m.group(1)) if m else None
    visible = Argument.objects.filter(poll=poll, status="visible")
    assert sorted(seen) == sorted(visible.values_list("id", flat=True))
    url = f"/d/{debate.code}/poll/{poll.pk}/arguments"
    assert client.get(url, {"side": "sideways"}, **HTMX).status_code == 400
    assert client.get(url, {"side": "for", "cursor": "forged"}, **HTMX).status_code == 400
    assert client.get(f"/d/{debate.code}/poll/999999/arguments", {"side": "for"}, **HTMX).status_code == 404
    # Supported arguments come first, and the order of the windows follows it.
    top = visible.filter(side="for").order_by("id")[20]
    for p in people:
        services.argument_upvote(argument=top, participant=p)
    page = client.get(f"/d/{debate.code}/").content.decode()
    assert re.findall(r'<li id="arg-(\d+)"', page)[0] == str(top.pk)
    top.refresh_from_db()
    assert visible.annotate(n=Count("upvotes")).get(pk=top.pk).n == top.support_count == 3  # the kept count


def test_a_new_argument_updates_its_sides_total(broadcasts, settings):
    settings.RATE_LIMITS = {"argument": "100/60"}
    from debates import services

    debate = make_debate(premoderation=False)
    poll = make_poll(debate)
    p = make_participant(debate)
    for i in range(12):
        services.argument_post(poll=poll, participant=p, side="against", text=f"Objection numéro {i} sur ce projet")
    html = broadcasts.html()
    assert f'<span id="poll-{poll.pk}-against-total" class="muted" hx-swap-oob="true">(12)</span>' in html
