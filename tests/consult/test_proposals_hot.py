"""Supports of a proposal in a burst go through the group commit (hub.hot_path), invisibly: the same answers as the
ordinary view, each support stored once, refusals explained by the view."""

from __future__ import annotations

import asyncio

import pytest

from debates import views_hot
from debates.models_consult import Proposal, ProposalSupport
from tests.consult.factories import make_consultation, make_proposal
from tests.debates.test_hot_path import post, sync

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_burst_of_supports_is_batched_and_stored_once_each(monkeypatch):
    sizes: list[int] = []
    work = views_hot.proposal_supports.work
    monkeypatch.setattr(views_hot.proposal_supports, "work", lambda items: sizes.append(len(items)) or work(items))
    debate = await sync(make_consultation, threshold=20)
    proposal = await sync(make_proposal, debate)
    path = f"/d/{debate.code}/p/{proposal.pk}/support"
    answers = await asyncio.gather(*(post(path) for _ in range(30)))
    assert [status for status, *_ in answers] == [200] * 30
    assert all("Support counted" in html for _s, _h, html, _c in answers)
    assert sum(sizes) == 30 and len(sizes) < 30
    fresh = await sync(Proposal.objects.get, pk=proposal.pk)
    assert fresh.support_count == 30 == await sync(ProposalSupport.objects.filter(proposal=proposal).count)
    assert fresh.status == Proposal.Status.OFFICIAL
    # The same browser again: the hot path declines and the view explains the refusal.
    jar = answers[0][3]
    cookie = f"sessionid={jar['sessionid'].value}"
    status, _h, html, _c = await post(path, cookies=cookie)
    assert status == 409 and "already support" in html
    assert await sync(ProposalSupport.objects.filter(proposal=proposal).count) == 30
