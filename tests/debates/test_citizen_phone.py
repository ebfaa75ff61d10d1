"""The citizen page on a phone (issue 10, item 8): upvotes taken back, counters that count what the server counts,
French typography on display only, a ballot and a vote that work without JavaScript."""

from __future__ import annotations

import re
import unicodedata

import pytest
from django.test import Client

from debates.models import Question, QuestionUpvote
from tests.factories import make_debate, make_moderator, make_poll, make_question

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def test_an_upvote_can_be_taken_back(client):
    debate = make_debate()
    q = make_question(debate, actor=make_moderator(debate))
    r = client.post(f"/d/{debate.code}/q/{q.pk}/upvote", **HTMX)
    assert r.status_code == 200 and "Upvote counted." in r.content.decode()
    r = client.post(f"/d/{debate.code}/q/{q.pk}/upvote/undo", **HTMX)
    assert r.status_code == 200 and "Upvote taken back." in r.content.decode()
    q.refresh_from_db()
    assert q.upvote_count == 0 and not QuestionUpvote.objects.filter(question=q).exists()
    assert f"{q.pk}" not in re.search(r'"upvoted": \[([^\]]*)\]', r.content.decode()).group(1)
    again = client.post(f"/d/{debate.code}/q/{q.pk}/upvote/undo", **HTMX)
    assert again.status_code == 409
    q.refresh_from_db()
    assert q.upvote_count == 0


def test_without_javascript_my_upvote_is_marked_and_its_form_takes_it_back(client):
    debate = make_debate()
    q = make_question(debate, actor=make_moderator(debate))
    r = client.post(f"/d/{debate.code}/q/{q.pk}/upvote", {"anchor": f"q-{q.pk}"})
    assert r.status_code == 302 and r["Location"].endswith(f"#q-{q.pk}")
    html = client.get(r["Location"]).content.decode()
    item = html[html.index(f'id="q-{q.pk}"') :]
    item = item[: item.index("</li>")]
    assert f'action="/d/{debate.code}/q/{q.pk}/upvote/undo"' in item and 'aria-pressed="true"' in item
    assert '<p class="flash success landing" role="status">Upvote counted.</p>' in item  # where the page lands
    assert 'class="flash-stack"' not in html  # not at the top, out of sight


def test_without_javascript_the_chosen_vote_is_marked_and_confirmed_on_the_poll(client):
    debate = make_debate()
    poll = make_poll(debate, actor=make_moderator(debate))
    yes = poll.options.order_by("position").first()
    r = client.post(f"/d/{debate.code}/poll/{poll.pk}/vote", {"option": yes.pk, "anchor": f"poll-{poll.pk}"})
    html = client.get(r["Location"]).content.decode()
    card = html[html.index(f'id="poll-{poll.pk}"') :]
    assert re.search(
        rf'class="btn opt opt-1 chosen" aria-pressed="true" type="submit" data-poll="{poll.pk}" '
        rf'data-option="{yes.pk}"',
        card,
    )
    assert "Your vote is recorded." in card[: card.index("</article>")]


def test_the_limit_counts_code_points_after_nfc_and_nothing_is_cut(client):
    debate = make_debate(premoderation=False)
    limit = debate.question_max_length
    decomposed = unicodedata.normalize("NFD", "é" * limit)  # twice as many code points before NFC
    assert len(decomposed) == 2 * limit
    r = client.post(f"/d/{debate.code}/ask", {"text": decomposed}, **HTMX)
    assert r.status_code == 200
    assert Question.objects.get(debate=debate).text == "é" * limit  # stored composed
    too_long = client.post(f"/d/{debate.code}/ask", {"text": "é" * (limit + 1)}, **HTMX)
    assert too_long.status_code == 400 and "too long" in too_long.content.decode()
    page = client.get(f"/d/{debate.code}/").content.decode()
    assert "maxlength" not in page[page.index('id="ask-text"') - 200 : page.index('id="ask-text"') + 300]
    assert f'data-max="{limit}"' in page


def test_french_typography_is_applied_on_display_and_never_stored():
    debate = make_debate()
    q = make_question(debate, text="Pourquoi fermer la piscine? Et le parc : quand ?", actor=make_moderator(debate))
    fr = Client(HTTP_ACCEPT_LANGUAGE="fr").get(f"/d/{debate.code}/").content.decode()
    en = Client(HTTP_ACCEPT_LANGUAGE="en").get(f"/d/{debate.code}/").content.decode()
    assert "Pourquoi fermer la piscine\u202f? Et le parc\u00a0: quand\u202f?" in fr
    assert "Pourquoi fermer la piscine? Et le parc : quand ?" in en
    q.refresh_from_db()
    assert q.text == "Pourquoi fermer la piscine? Et le parc : quand ?"


def test_french_typography_keeps_urls_times_and_entities():
    from django.utils import translation

    from debates.templatetags.debate_tags import typo

    with translation.override("fr"):
        assert typo("RDV à 18:30 sur https://ville.fr & « vite » !") == (
            "RDV à 18:30 sur https://ville.fr &amp; «\u00a0vite\u00a0»\u202f!"
        )
        assert typo("<b>?</b>") == "&lt;b&gt;?&lt;/b&gt;"  # escaped, and no space after a sign


def test_my_questions_tell_each_fate_in_the_readers_language():
    from django.utils import translation

    from debates import selectors, services
    from tests.factories import make_official, make_participant

    debate = make_debate(premoderation=True)
    mod = make_moderator(debate)
    official = make_official(debate)
    me = make_participant(debate, name="Inès")
    ask = lambda text: services.question_submit(debate=debate, participant=me, text=text)  # noqa: E731
    pending = ask("Toujours en attente ?")
    published = services.question_approve(question=ask("Publiée ?"), actor=mod)
    answered = services.question_approve(question=ask("Répondue ?"), actor=mod)
    services.answer_post(question=answered, actor=official, text="Oui, en 2027.")
    rejected = services.question_reject(question=ask("Hors sujet ?"), actor=mod, reason="Hors sujet.")
    kept = make_question(debate, text="La question gardée ?", actor=mod)
    with translation.override("fr"):  # the moderator merges from a French console
        services.question_merge(duplicate=ask("Doublon ?"), into=kept, actor=mod)
    with translation.override("en"):
        mine = {q["text"]: q for q in selectors.participant_state(me)["mine"]}
    assert mine[pending.text]["fate"] == "pending" and mine[pending.text]["status_label"] == "Awaiting moderation"
    assert mine[published.text]["fate"] == "published"
    assert mine[answered.text]["fate"] == "answered" and mine[answered.text]["answers"] == ["Oui, en 2027."]
    assert mine[rejected.text]["fate"] == "rejected" and mine[rejected.text]["reason"] == "Hors sujet."
    merged = mine["Doublon ?"]
    assert merged["fate"] == "merged" and merged["status_label"] == "Merged into a similar question"
    assert merged["reason"] == "" and merged["merged_into"] == {"id": kept.pk, "text": kept.text}
