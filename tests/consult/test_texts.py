"""Texts voted article by article: safe Markdown, one proposition per article, the text page with its summary
table and live widgets, hidden results, opening and closing every vote, the report and exports per article."""

from __future__ import annotations

import pytest

from debates import markdown, services
from debates.models import ModerationLog, Poll, Vote
from debates.models_consult import Article, Text
from debates.services import ServiceError
from tests.factories import make_debate, make_moderator, make_participant

pytestmark = pytest.mark.django_db

SOURCE = """Un texte **simplifié**, voté point par point.

## Durée de la réforme
La réforme s'applique *trois ans*. Voir [le rapport](https://example.org/rapport).

## Financement
<script>alert(1)</script> Les <b>communes</b> financent. [x](javascript:alert(1))
"""


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


def test_markdown_is_rendered_without_raw_html_and_links_are_nofollow():
    html = markdown.render(SOURCE)
    assert "<strong>simplifié</strong>" in html and "<em>trois ans</em>" in html
    assert '<a href="https://example.org/rapport" rel="nofollow ugc noopener">le rapport</a>' in html
    assert "<script" not in html and "<b>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html  # markdown-it refuses the link; nh3 would drop the scheme
    assert "<h3>" in markdown.render("# Big") and "<h1>" not in markdown.render("# Big")


def test_publishing_splits_articles_each_with_its_proposition():
    debate = make_debate()
    mod = make_moderator(debate)
    text = services.text_publish(
        debate=debate,
        actor=mod,
        title="Réforme des rythmes scolaires",
        source=SOURCE,
        results=Poll.Results.HIDDEN,
        open_now=True,
    )
    articles = list(text.articles.order_by("position"))
    assert [a.title for a in articles] == ["Durée de la réforme", "Financement"]
    assert text.intro == "Un texte **simplifié**, voté point par point."
    assert all(a.poll.is_proposition and a.poll.is_open and a.poll.results == "hidden" for a in articles)
    assert [o.label for o in articles[0].poll.options.order_by("position")] == ["Yes", "No", "Abstain"]
    assert ModerationLog.objects.filter(action="text_published").count() == 1
    with pytest.raises(ServiceError, match="## Title"):
        services.text_publish(debate=debate, actor=mod, title="Sans articles", source="Juste un paragraphe.")
    with pytest.raises(ServiceError):
        services.text_publish(debate=debate, actor=make_participant(debate), title="T", source="## A\nb")
    assert Text.objects.count() == 1


def test_the_text_page_votes_live_per_article_and_hides_results_until_the_close(client):
    debate = make_debate()
    mod = make_moderator(debate)
    text = services.text_publish(
        debate=debate, actor=mod, title="Loi", source=SOURCE, results=Poll.Results.HIDDEN, open_now=True
    )
    first = text.articles.order_by("position").first()
    yes = first.poll.options.order_by("position").first()
    r = client.post(f"/d/{debate.code}/poll/{first.poll_id}/vote", {"option": yes.pk}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and Vote.objects.filter(poll=first.poll).count() == 1
    page = client.get(f"/d/{debate.code}/t/{text.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Summary of the votes" in page and "Shown when the vote closes" in page
    assert f'id="poll-{first.poll_id}-results"' in page and f'id="poll-{first.poll_id}-args"' in page
    assert 'rel="nofollow ugc noopener"' in page and "<script>alert" not in page
    assert services.text_set_votes(text=text, actor=mod, opening=False) == 2
    page = client.get(f"/d/{debate.code}/t/{text.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "100 %" in page and "Shown when the vote closes" not in page
    assert services.text_set_votes(text=text, actor=mod, opening=True) == 0  # closed votes are not reopened


def test_moderators_publish_texts_from_their_page(client):
    debate = make_debate()
    client.force_login(make_moderator(debate))
    assert client.get(f"/d/{debate.code}/moderate/texts/").status_code == 200
    r = client.post(
        f"/d/{debate.code}/moderate/texts/act",
        {
            "action": "publish",
            "title": "Charte",
            "source": "## Un\nPremier.\n## Deux\nSecond.",
            "results": "live",
            "open_now": "on",
        },
    )
    assert r.status_code == 302 and Article.objects.filter(text__debate=debate).count() == 2
    r = client.post(f"/d/{debate.code}/moderate/texts/act", {"action": "publish", "title": "Vide", "source": "rien"})
    assert r.status_code == 400 and Text.objects.count() == 1


def test_open_data_has_proposals_articles_and_declarations_without_identities_or_codes(client):
    import json

    from debates import codes
    from tests.consult.factories import make_consultation, make_proposal

    debate = make_consultation(threshold=1)
    mod = make_moderator(debate)
    author = make_participant(debate, name="Karim Secret")
    make_proposal(debate, title="Un kiosque", participant=author)
    issued = services.voter_codes_generate(debate=debate, actor=mod, count=2)
    text = services.text_publish(debate=debate, actor=mod, title="Charte", source="## Un\nPremier.", open_now=True)
    article = text.articles.get()
    services.poll_close(poll=article.poll, actor=mod)
    services.poll_declare_result(poll=article.poll, actor=mod)
    from debates.models import Debate

    Debate.objects.filter(pk=debate.pk).update(status="closed")
    proposals = client.get(f"/d/{debate.code}/export.csv?what=proposals").content.decode()
    assert "Un kiosque" in proposals and "Karim" not in proposals
    articles = client.get(f"/d/{debate.code}/export.csv?what=articles").content.decode()
    assert "Charte" in articles and "Un" in articles
    document = client.get(f"/d/{debate.code}/export.json").content.decode()
    data = json.loads(document)
    assert data["proposals"][0]["title"] == "Un kiosque" and data["articles"][0]["poll_id"] == article.poll_id
    assert data["declared_results"][0]["sha256"]
    assert "Karim" not in document and not any(c in document or codes.display(c) in document for c in issued)
    state = client.get(f"/api/d/{debate.code}/state").json()
    assert state["proposals"]["items"][0]["title"] == "Un kiosque" and state["texts"][0]["articles"][0]["title"] == "Un"
    Debate.objects.filter(pk=debate.pk).update(language="en")  # the report speaks the debate's language
    report = client.get(f"/d/{debate.code}/report/").content.decode()
    assert "Texts voted article by article" in report


def test_article_votes_live_on_their_text_page_not_in_the_citizen_pages_polls(client):
    """A text of many articles would make the citizen page as long as the text: its votes are on the text's page
    (linked from the citizen page), each article with its few most supported arguments per side."""
    from debates import fragments
    from debates.models import Argument

    debate = make_debate()
    mod = make_moderator(debate)
    text = services.text_publish(debate=debate, actor=mod, title="Loi", source=SOURCE, open_now=True)
    other = services.poll_create(
        debate=debate, actor=mod, text="Une autre question ?", kind=Poll.Kind.YES_NO_ABSTAIN, open_now=True
    )
    first = text.articles.order_by("position").first()
    people = [make_participant(debate) for _ in range(fragments.ARTICLE_ARGUMENTS_PER_SIDE + 2)]
    for person in people:
        services.argument_post(poll=first.poll, participant=person, side=Argument.Side.FOR, text=f"Pour {person.pk}")
    page = client.get(f"/d/{debate.code}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'id="poll-{other.pk}"' in page and f'id="poll-{first.poll_id}"' not in page
    assert f"/d/{debate.code}/t/{text.pk}/" in page
    page = client.get(f"/d/{debate.code}/t/{text.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    shown = page.count('class="argument"')
    assert shown == fragments.ARTICLE_ARGUMENTS_PER_SIDE
    assert (
        f'id="poll-{first.poll_id}-for-more"' in page
        and "hx-get" in page.split(f'poll-{first.poll_id}-for-more"')[1][:300]
    )
