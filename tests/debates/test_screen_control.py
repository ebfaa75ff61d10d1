"""The moderators' explicit control of the projected screen (debates.services.screen): each mode is stored,
logged, announced to the screen and the console, and rendered on the screen page; refusals are clear."""

from __future__ import annotations

import pytest
from django.urls import reverse

from debates import services
from debates.errors import ServiceError
from debates.models import Debate, ModerationLog
from tests.conftest import broadcast_html
from tests.factories import make_debate, make_moderator, make_participant, make_poll, make_question

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def debate():
    return make_debate(language="en")


@pytest.fixture
def moderator(debate):
    return make_moderator(debate)


def screen_page(client, debate) -> str:
    debate.refresh_from_db()
    return client.get(reverse("screen", args=[debate.code, debate.screen_token])).content.decode()


@pytest.mark.parametrize("mode", ["welcome", "blank", "closing", "question"])
def test_each_slide_is_stored_logged_and_announced(broadcasts, client, debate, moderator, mode):
    services.screen_show(debate=debate, actor=moderator, mode=mode)
    debate.refresh_from_db()
    assert debate.screen_mode == mode
    entry = ModerationLog.objects.filter(debate=debate, action="screen_mode").latest("id")
    assert entry.after["mode"] == mode
    assert {"stage", "screenpoll", "screenctl"} <= broadcasts.keys()
    assert not broadcast_html(broadcasts, "public.en")  # the citizens' pages do not show what the screen shows
    assert f"mode-{mode}" in broadcast_html(broadcasts, "screen.en")
    assert f'data-mode="{mode}"' in broadcast_html(broadcasts, "moderators.en")
    assert f"mode-{mode}" in screen_page(client, debate)


def test_a_hidden_poll_shows_its_options_and_count_then_reveal(broadcasts, client, debate, moderator):
    poll = make_poll(
        debate, kind="choice", options=["Parcs", "Pistes cyclables", "Bibliothèque"], results="hidden", actor=moderator
    )
    services.screen_show(debate=debate, actor=moderator, mode="poll", poll=poll)
    html = screen_page(client, debate)
    assert "is-stage" in html and "Pistes cyclables" in html and "s-options" in html and "s-bars" not in html
    assert "0 votes" in html
    services.vote_cast(poll=poll, participant=make_participant(debate), option_id=poll.options.first().pk)
    broadcasts.clear()
    services.screen_reveal(debate=debate, actor=moderator)
    assert "s-bars" in broadcast_html(broadcasts, "screen.en")
    html = screen_page(client, debate)
    assert "s-bars" in html and "1 vote" in html
    # Phones still follow the poll's own setting: results hidden until it closes.
    assert "s-bars" not in broadcast_html(broadcasts, "public.en")
    with pytest.raises(ServiceError):
        services.screen_reveal(debate=debate, actor=moderator)  # already revealed


def test_another_poll_on_screen_is_hidden_again_and_a_closed_poll_shows_its_results(client, debate, moderator):
    hidden = make_poll(debate, results="hidden", actor=moderator)
    services.screen_show(debate=debate, actor=moderator, mode="poll", poll=hidden)
    services.screen_reveal(debate=debate, actor=moderator)
    other = make_poll(debate, results="hidden", actor=moderator)
    services.screen_show(debate=debate, actor=moderator, mode="poll", poll=other)
    debate.refresh_from_db()
    assert debate.screen_poll_id == other.pk and not debate.screen_revealed
    services.poll_close(poll=other, actor=moderator)
    assert "s-bars" in screen_page(client, debate)  # closed: final results


def test_refusals(debate, moderator):
    draft = make_poll(debate, open_now=False, actor=moderator)
    with pytest.raises(ServiceError) as e:
        services.screen_show(debate=debate, actor=moderator, mode="poll", poll=draft)
    assert e.value.status == 409
    with pytest.raises(ServiceError):
        services.screen_show(debate=debate, actor=moderator, mode="poll")
    with pytest.raises(ServiceError):
        services.screen_show(debate=debate, actor=moderator, mode="fireworks")
    with pytest.raises(ServiceError):
        services.screen_reveal(debate=debate, actor=moderator)  # no poll on screen
    citizen_user = make_moderator(make_debate())  # a moderator of another debate
    with pytest.raises(ServiceError) as e:
        services.screen_show(debate=debate, actor=citizen_user, mode="blank")
    assert e.value.status == 403


def test_putting_a_question_up_switches_to_question_and_closing_the_debate_to_the_closing_slide(
    client, debate, moderator
):
    services.screen_show(debate=debate, actor=moderator, mode="blank")
    q = make_question(debate, actor=moderator)
    services.question_put_on_screen(question=q, debate=debate, actor=moderator)
    debate.refresh_from_db()
    assert debate.screen_mode == Debate.ScreenMode.QUESTION
    services.debate_set_status(debate=debate, status="closed", actor=moderator)
    debate.refresh_from_db()
    assert debate.screen_mode == Debate.ScreenMode.CLOSING
    html = screen_page(client, debate)
    assert "mode-closing" in html and "s-join-report" in html and "/report" in html


def test_console_endpoint_and_keys(client, debate, moderator):
    poll = make_poll(debate, results="hidden", actor=moderator)
    client.force_login(moderator)
    url = reverse("moderate_act", args=[debate.code])
    assert client.post(url, {"action": "screen", "mode": "welcome"}, **HX).status_code == 200
    r = client.post(url, {"action": "screen", "mode": "poll", "poll": poll.pk}, **HX)
    assert r.status_code == 200 and 'id="mod-screenctl"' in r.content.decode()
    assert client.post(url, {"action": "screen_reveal"}, **HX).status_code == 200
    assert client.post(url, {"action": "screen", "mode": "poll", "poll": 999999}, **HX).status_code == 404
    page = client.get(reverse("moderate", args=[debate.code])).content.decode()
    for key in ("w", "q", "b", "c"):
        assert f'data-key="{key}"' in page
    assert "screen-preview" not in page and debate.screen_token not in page  # in its own answer, never compressed
    panel = client.get(reverse("moderate_screenlink", args=[debate.code]), **HX).content.decode()
    assert "screen-preview" in panel and debate.screen_token in panel


def test_the_screen_speaks_the_debates_language(client):
    debate = make_debate(language="fr")
    html = client.get(
        reverse("screen", args=[debate.code, debate.screen_token]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert '<html lang="fr"' in html and "?lang=fr" in html and "Rejoindre le débat" in html


def test_the_on_screen_upvote_count_follows_upvotes(debate, moderator):
    """An upvote's item key ("qn:<id>") refreshes the screen's top questions: that widget carries the ▲ count of the
    question on screen."""
    from debates import fragments

    q = make_question(debate, actor=moderator)
    services.question_put_on_screen(question=q, debate=debate, actor=moderator)
    for _ in range(3):
        services.question_upvote(question=q, participant=make_participant(debate))
    frames = fragments.render(debate.pk, {f"qn:{q.pk}"}, ["screen.en"], None)["screen.en"]
    html = "".join(h for _k, _v, h in frames)
    assert 'id="screen-upvotes"' in html and "▲ 3" in html and 'hx-swap-oob="true"' in html
