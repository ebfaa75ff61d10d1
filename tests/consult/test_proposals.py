"""Citizen proposals: proposing, supporting, the threshold, withdrawing, flagging and moderation; what each stores,
refuses, logs and pushes; the pages and the hot path."""

from __future__ import annotations

import pytest

from debates import services
from debates.models import AgendaSegment, Debate, ModerationLog, Poll
from debates.models_consult import Consultation, Proposal, ProposalSupport
from debates.services import ServiceError
from tests.consult.factories import make_consultation, make_proposal
from tests.factories import make_debate, make_moderator, make_participant

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


def support_n(proposal: Proposal, n: int) -> list:
    people = [make_participant(proposal.debate) for _ in range(n)]
    for person in people:
        services.proposal_support(proposal=proposal, participant=person)
    return people


def test_a_debate_without_proposals_refuses_them():
    debate = make_debate()
    with pytest.raises(ServiceError, match="does not accept proposals"):
        make_proposal(debate)
    assert not Proposal.objects.exists()


def test_a_proposal_is_published_and_pushed(broadcasts):
    debate = make_consultation()
    broadcasts.clear()
    p = make_proposal(debate, title="  Un marché bio  ")
    assert p.status == Proposal.Status.PUBLISHED and p.title == "Un marché bio"
    assert {"proposals", "proposals_queue"} <= broadcasts.keys()
    assert f'id="proposal-{p.pk}"' in broadcasts.html("public.fr")


def test_word_filter_holds_a_proposal_for_moderators_only(broadcasts):
    debate = make_consultation(word_filter="arnaque")
    broadcasts.clear()
    p = make_proposal(debate, text="Une arnaque !")
    assert p.status == Proposal.Status.HELD and p.flagged_words == "arnaque"
    assert broadcasts.keys() == {"proposals_queue"}
    assert "Une arnaque" in broadcasts.html("moderators.fr")


def test_bad_category_and_empty_title_are_refused():
    debate = make_consultation(categories="Mobilité\nÉcoles")
    with pytest.raises(ServiceError, match="categories"):
        make_proposal(debate, category="Autre")
    with pytest.raises(ServiceError, match="empty"):
        make_proposal(debate, title="  ")
    assert make_proposal(debate, category="Écoles").category == "Écoles"
    assert Proposal.objects.count() == 1


def test_one_support_per_participant_and_the_count_follows(broadcasts):
    debate = make_consultation(threshold=5)
    p = make_proposal(debate)
    citizen = make_participant(debate)
    broadcasts.clear()
    services.proposal_support(proposal=p, participant=citizen)
    with pytest.raises(ServiceError, match="already support"):
        services.proposal_support(proposal=p, participant=citizen)
    p.refresh_from_db()
    assert p.support_count == 1 == ProposalSupport.objects.filter(proposal=p).count()
    assert f"proposal:{p.pk}" in broadcasts.keys()
    assert f'id="proposal-{p.pk}-progress"' in broadcasts.html("public.fr")
    assert "data-v=" in broadcasts.html("public.fr")


def test_reaching_the_threshold_makes_it_official_once_and_puts_it_to_the_vote(broadcasts):
    debate = make_consultation(threshold=3)
    p = make_proposal(debate, title="Piétonniser la rue Haute")
    support_n(p, 2)
    p.refresh_from_db()
    assert p.status == Proposal.Status.PUBLISHED and p.poll is None
    broadcasts.clear()
    support_n(p, 2)  # the third crosses the threshold, the fourth must not do it again
    p.refresh_from_db()
    assert p.status == Proposal.Status.OFFICIAL and p.official_at and p.support_count == 4
    assert Poll.objects.filter(debate=debate).count() == 1
    assert p.poll.text == "Piétonniser la rue Haute" and p.poll.is_open and p.poll.is_proposition
    assert ModerationLog.objects.filter(action="proposal_official", object_id=p.pk).count() == 1
    keys = broadcasts.keys()
    assert {"polls", f"proposal_news:{p.pk}", "proposals"} <= keys
    assert "Piétonniser la rue Haute" in broadcasts.html("screen.fr")
    assert "New official proposal" in broadcasts.html("public.en")
    assert f'id="poll-{p.poll_id}"' in broadcasts.html("public.fr")


def test_official_proposal_can_become_an_agenda_item():
    debate = make_consultation(threshold=1, outcome=Consultation.Outcome.AGENDA)
    before = debate.segments.count()
    p = make_proposal(debate, title="Le budget participatif")
    support_n(p, 1)
    p.refresh_from_db()
    assert p.is_official and p.segment is not None and p.poll is None
    assert AgendaSegment.objects.filter(debate=debate).count() == before + 1
    assert p.segment.title == "Le budget participatif" and p.segment.position == before


def test_withdrawing_a_support_lowers_the_count_and_an_official_proposal_stays_official():
    debate = make_consultation(threshold=2)
    p = make_proposal(debate)
    a, _b = support_n(p, 2)
    version = Proposal.objects.get(pk=p.pk).version
    services.proposal_withdraw_support(proposal=p, participant=a)
    p.refresh_from_db()
    assert p.support_count == 1 and p.is_official and p.version > version
    with pytest.raises(ServiceError, match="do not support"):
        services.proposal_withdraw_support(proposal=p, participant=a)
    services.proposal_support(proposal=p, participant=a)  # back to 2: still one poll, one official event
    assert Poll.objects.filter(debate=debate).count() == 1


def test_no_support_or_withdrawal_after_the_close():
    debate = make_consultation(threshold=5)
    p = make_proposal(debate)
    (a,) = support_n(p, 1)
    Debate.objects.filter(pk=debate.pk).update(status=Debate.Status.CLOSED)
    p = Proposal.objects.get(pk=p.pk)
    with pytest.raises(ServiceError, match="closed"):
        services.proposal_support(proposal=p, participant=make_participant(debate))
    with pytest.raises(ServiceError, match="closed"):
        services.proposal_withdraw_support(proposal=p, participant=a)
    assert Proposal.objects.get(pk=p.pk).support_count == 1


def test_flags_reach_the_moderators_queue_once_per_citizen(broadcasts):
    debate = make_consultation()
    p = make_proposal(debate, title="Texte douteux")
    citizen = make_participant(debate)
    broadcasts.clear()
    services.proposal_flag(proposal=p, participant=citizen)
    with pytest.raises(ServiceError, match="already reported"):
        services.proposal_flag(proposal=p, participant=citizen)
    assert Proposal.objects.get(pk=p.pk).flag_count == 1
    assert "Texte douteux" in broadcasts.html("moderators.fr") and "1 report" in broadcasts.html("moderators.en")


def test_moderators_hide_publish_and_dismiss_flags_logged(broadcasts):
    debate = make_consultation()
    mod = make_moderator(debate)
    p = make_proposal(debate)
    with pytest.raises(ServiceError):
        services.proposal_moderate(proposal=p, actor=make_participant(debate), action="hide")
    services.proposal_flag(proposal=p, participant=make_participant(debate))
    services.proposal_moderate(proposal=p, actor=mod, action="dismiss_flags")
    p.refresh_from_db()
    assert p.flag_count == 0 and p.status == Proposal.Status.PUBLISHED
    broadcasts.clear()
    services.proposal_moderate(proposal=p, actor=mod, action="hide")
    assert Proposal.objects.get(pk=p.pk).status == Proposal.Status.HIDDEN
    assert "Des bancs place du marché" not in broadcasts.html("public.fr")
    with pytest.raises(ServiceError, match="cannot be supported"):
        services.proposal_support(proposal=p, participant=make_participant(debate))
    with pytest.raises(ServiceError, match="Already handled"):
        services.proposal_moderate(proposal=p, actor=mod, action="hide")
    services.proposal_moderate(proposal=p, actor=mod, action="publish")
    actions = list(
        ModerationLog.objects.filter(object_id=p.pk, object_type="proposal").values_list("action", flat=True)
    )
    assert sorted(actions) == ["proposal_dismiss_flags", "proposal_hide", "proposal_publish"]


def test_merging_moves_supporters_once_and_may_make_the_target_official():
    debate = make_consultation(threshold=3)
    mod = make_moderator(debate)
    target = make_proposal(debate, title="Plus de bancs")
    duplicate = make_proposal(debate, title="Des bancs !")
    shared = make_participant(debate)
    services.proposal_support(proposal=target, participant=shared)
    services.proposal_support(proposal=duplicate, participant=shared)
    support_n(duplicate, 2)
    services.proposal_merge(proposal=duplicate, into=target, actor=mod)
    duplicate.refresh_from_db()
    target.refresh_from_db()
    assert duplicate.status == Proposal.Status.MERGED and duplicate.merged_into == target
    assert target.support_count == 3 == target.supports.count() and target.is_official
    log = ModerationLog.objects.get(action="proposal_merged")
    assert log.actor == mod and log.after["supports_moved"] == 2
    with pytest.raises(ServiceError):
        services.proposal_merge(proposal=duplicate, into=target, actor=mod)


# --- pages ------------------------------------------------------------------------------------------------------------
def test_proposals_page_and_form_posts_without_javascript(client):
    debate = make_consultation(threshold=2)
    page = client.get(f"/d/{debate.code}/proposals/")
    assert page.status_code == 200 and b"propose-form" in page.content
    r = client.post(f"/d/{debate.code}/proposals/new", {"title": "Un kiosque", "text": "Au parc."})
    assert r.status_code == 302
    p = Proposal.objects.get()
    r = client.post(f"/d/{debate.code}/p/{p.pk}/support", {"next": f"/d/{debate.code}/p/{p.pk}/"})
    assert r.status_code == 302 and r["Location"] == f"/d/{debate.code}/p/{p.pk}/"
    detail = client.get(f"/d/{debate.code}/p/{p.pk}/")
    assert b"Un kiosque" in detail.content and f'"supported": [{p.pk}]'.encode() in detail.content
    # A second support from the same browser is refused with a message, nothing stored.
    r = client.post(f"/d/{debate.code}/p/{p.pk}/support", HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 409 and b"already support" in r.content
    assert Proposal.objects.get().support_count == 1


def test_hidden_proposal_page_is_404_and_merged_redirects(client):
    debate = make_consultation()
    mod = make_moderator(debate)
    a, b = make_proposal(debate, title="A"), make_proposal(debate, title="B")
    services.proposal_merge(proposal=b, into=a, actor=mod)
    assert client.get(f"/d/{debate.code}/p/{b.pk}/")["Location"] == f"/d/{debate.code}/p/{a.pk}/"
    services.proposal_moderate(proposal=a, actor=mod, action="hide")
    assert client.get(f"/d/{debate.code}/p/{a.pk}/").status_code == 404
    assert client.get(f"/d/{debate.code}/p/abc/").status_code == 404


def test_citizen_page_links_to_proposals_only_when_enabled(client):
    debate = make_debate()
    assert b"See and make proposals" not in client.get(f"/d/{debate.code}/", HTTP_ACCEPT_LANGUAGE="en").content
    make_consultation(debate)
    assert b"See and make proposals" in client.get(f"/d/{debate.code}/", HTTP_ACCEPT_LANGUAGE="en").content


def test_moderators_page_saves_settings_and_acts(client):
    debate = make_debate()
    mod = make_moderator(debate)
    client.force_login(mod)
    assert client.get(f"/d/{debate.code}/moderate/proposals/").status_code == 200
    r = client.post(
        f"/d/{debate.code}/moderate/proposals/act",
        {"action": "settings", "proposals_enabled": "on", "proposal_threshold": "15", "proposal_outcome": "agenda"},
    )
    assert r.status_code == 302
    c = Consultation.objects.get(debate=debate)
    assert c.proposals_enabled and c.proposal_threshold == 15 and c.proposal_outcome == "agenda"
    r = client.post(
        f"/d/{debate.code}/moderate/proposals/act",
        {"action": "settings", "proposal_threshold": "0", "proposal_outcome": "agenda"},
    )
    assert r.status_code == 400 and Consultation.objects.get(debate=debate).proposal_threshold == 15
    p = make_proposal(debate)
    r = client.post(f"/d/{debate.code}/moderate/proposals/act", {"action": "hide", "proposal": p.pk})
    assert r.status_code == 302 and Proposal.objects.get(pk=p.pk).status == Proposal.Status.HIDDEN
    client.logout()
    client.force_login(make_moderator(make_debate()))
    assert client.get(f"/d/{debate.code}/moderate/proposals/").status_code == 403
    r = client.post(f"/d/{debate.code}/moderate/proposals/act", {"action": "publish", "proposal": p.pk})
    assert r.status_code == 403 and Proposal.objects.get(pk=p.pk).status == Proposal.Status.HIDDEN


def test_several_crossings_in_one_burst_are_all_announced_in_the_news():
    """One flush may carry several proposal_news keys; they share the banner, which names every recent crossing."""
    from debates import fragments

    debate = make_consultation(threshold=2)
    first, second = make_proposal(debate, title="Des bancs"), make_proposal(debate, title="Un kiosque")
    burst = [
        services.Upvote(debate.code, p.pk, {str(debate.pk): make_participant(debate).pk})
        for p in (first, second)
        for _ in range(2)
    ]
    services.proposal_support_many(burst)
    keys = [f"proposal_news:{first.pk}", f"proposal_news:{second.pk}"]
    frames = fragments.render(debate.pk, keys, ["public.en", "screen"], None)
    for audience in ("public.en", "screen"):
        (news,) = [html for key, _v, html in frames[audience] if key.startswith("proposal_news")]
        assert "Des bancs" in news and "Un kiosque" in news and "New official proposals" in news


def test_a_burst_over_many_proposals_reads_the_dates_once_and_promotes_only_what_crossed():
    """Each proposal of a batch used to carry its own Debate object, so the dates and phases were read once per
    proposal; and every supported proposal got a conditional UPDATE, crossing or not."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    debate = make_consultation(threshold=2)
    proposals = [make_proposal(debate, title=f"Proposition {i}") for i in range(6)]
    burst = [services.Upvote(debate.code, p.pk, {str(debate.pk): make_participant(debate).pk}) for p in proposals]
    burst.append(services.Upvote(debate.code, proposals[0].pk, {str(debate.pk): make_participant(debate).pk}))
    with CaptureQueriesContext(connection) as queries:
        outcome = services.proposal_support_many(burst)
    assert all(isinstance(o, services.Stored) for o in outcome)
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum('FROM "debates_phase"' in s for s in sql) == 1
    assert sum('FROM "debates_consultation"' in s for s in sql) == 2  # proposals enabled; the dates
    assert sum(s.startswith('UPDATE "debates_proposal" SET "status"') for s in sql) == 1  # the one that crossed
    statuses = dict(Proposal.objects.filter(debate=debate).values_list("pk", "status"))
    assert statuses[proposals[0].pk] == Proposal.Status.OFFICIAL
    assert [statuses[p.pk] for p in proposals[1:]] == [Proposal.Status.PUBLISHED] * 5
