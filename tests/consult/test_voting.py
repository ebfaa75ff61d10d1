"""Voter codes and binding votes: codes issued once and stored as keyed hashes, entered once and valid on every
device, refused when wrong (rate-limited), revoked or used; binding polls refusing votes without a code; secret
ballots stored without any link to the code; declared results frozen and hashed, shown in the report."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from debates import codes, services
from debates.models import Debate, ModerationLog, Poll, Vote
from debates.models_consult import CodeUse, Consultation, ResultDeclaration, SecretBallot, VoterCode
from debates.services import ServiceError
from tests.factories import make_debate, make_moderator, make_participant, make_poll

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    from django.core.cache import cache
    from django.utils import translation

    cache.clear()  # the wrong-code counters
    with translation.override("en"):
        yield


def binding_poll(debate: Debate, mod, *, secret: bool) -> Poll:
    poll = make_poll(debate, open_now=False, actor=mod)
    services.poll_set_rules(poll=poll, actor=mod, binding=True, secret=secret)
    return services.poll_open(poll=poll, actor=mod)


def options(poll: Poll) -> list[int]:
    return list(poll.options.order_by("position").values_list("pk", flat=True))


def citizen(debate: Debate) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.get(f"/d/{debate.code}/")
    return client


def test_codes_have_50_bits_and_only_their_keyed_hash_is_stored():
    debate = make_debate()
    mod = make_moderator(debate)
    issued = services.voter_codes_generate(debate=debate, actor=mod, count=20)
    assert len(set(issued)) == 20 and all(len(c) == 10 and set(c) <= set(codes.ALPHABET) for c in issued)
    stored = set(VoterCode.objects.filter(debate=debate).values_list("digest", flat=True))
    assert stored == {codes.digest(c) for c in issued}
    assert not any(c in d for c in issued for d in stored)
    assert codes.normalise(codes.display(issued[0]).lower()) == issued[0]
    with pytest.raises(ServiceError):
        services.voter_codes_generate(debate=debate, actor=make_participant(debate), count=5)


def test_the_codes_are_served_once_as_a_sheet_or_a_csv_never_cached(client):
    debate = make_debate()
    client.force_login(make_moderator(debate))
    sheet = client.post(f"/d/{debate.code}/moderate/votes/act", {"action": "generate", "count": "3", "format": "sheet"})
    assert sheet.status_code == 200 and sheet["Cache-Control"] == "no-store"
    assert len(re.findall(r'class="vc">[0-9A-Z]{5}-[0-9A-Z]{5}<', sheet.content.decode())) == 3
    export = client.post(f"/d/{debate.code}/moderate/votes/act", {"action": "generate", "count": "4", "format": "csv"})
    assert export["Cache-Control"] == "no-store" and export["Content-Type"].startswith("text/csv")
    rows = export.content.decode().strip().splitlines()
    assert rows[0] == "debate,code" and len(rows) == 5
    assert VoterCode.objects.filter(debate=debate).count() == 7
    assert client.get(f"/d/{debate.code}/moderate/votes/").status_code == 200


def test_a_code_entered_on_two_devices_is_one_voter():
    debate = make_debate()
    mod = make_moderator(debate)
    (code,) = services.voter_codes_generate(debate=debate, actor=mod, count=1)
    poll = binding_poll(debate, mod, secret=False)
    yes, no, _abstain = options(poll)
    phone, laptop = citizen(debate), citizen(debate)
    assert (
        phone.post(f"/d/{debate.code}/code", {"code": codes.display(code)}, HTTP_HX_REQUEST="true").status_code == 200
    )
    assert (
        phone.post(f"/d/{debate.code}/poll/{poll.pk}/vote", {"option": yes}, HTTP_HX_REQUEST="true").status_code == 200
    )
    r = laptop.post(f"/d/{debate.code}/code", {"code": code.lower()}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "accepted" in r.content.decode()
    assert (
        laptop.post(f"/d/{debate.code}/poll/{poll.pk}/vote", {"option": no}, HTTP_HX_REQUEST="true").status_code == 200
    )
    # One voter: the laptop's vote replaced the phone's; uniqueness is (poll, code).
    assert list(Vote.objects.filter(poll=poll).values_list("option_id", flat=True)) == [no]
    assert CodeUse.objects.filter(poll=poll).count() == 1
    assert phone.session["participants"] == laptop.session["participants"]


def test_a_binding_poll_refuses_a_vote_without_a_code():
    debate = make_debate()
    mod = make_moderator(debate)
    poll = binding_poll(debate, mod, secret=False)
    browser = citizen(debate)
    r = browser.post(f"/d/{debate.code}/poll/{poll.pk}/vote", {"option": options(poll)[0]}, HTTP_HX_REQUEST="true")
    assert r.status_code == 403 and "needs a voter code" in r.content.decode()
    assert not Vote.objects.filter(poll=poll).exists() and not SecretBallot.objects.exists()
    # The hot path leaves such votes to the view (which refuses them): nothing stored either.
    (outcome,) = services.vote_cast_many([services.Ballot(debate.code, poll.pk, options(poll)[0], {})])
    assert isinstance(outcome, ServiceError) and outcome.status == 403  # the burst path refuses it the same way
    assert not Vote.objects.filter(poll=poll).exists()


def test_a_debate_in_code_mode_needs_codes_for_every_poll():
    debate = make_debate()
    mod = make_moderator(debate)
    services.consultation_update(debate=debate, actor=mod, vote_mode=Consultation.VoteMode.CODES)
    poll = make_poll(debate, actor=mod)
    with pytest.raises(ServiceError, match="needs a voter code"):
        services.vote_cast(poll=poll, participant=make_participant(debate), option_id=options(poll)[0])


def test_a_secret_ballot_carries_no_code_and_cannot_be_cast_twice():
    debate = make_debate()
    mod = make_moderator(debate)
    first, second = services.voter_codes_generate(debate=debate, actor=mod, count=2)
    poll = binding_poll(debate, mod, secret=True)
    yes, no, _abstain = options(poll)
    a, b = citizen(debate), citizen(debate)
    a.post(f"/d/{debate.code}/code", {"code": first})
    b.post(f"/d/{debate.code}/code", {"code": second})
    assert a.post(f"/d/{debate.code}/poll/{poll.pk}/vote", {"option": yes}, HTTP_HX_REQUEST="true").status_code == 200
    assert b.post(f"/d/{debate.code}/poll/{poll.pk}/vote", {"option": no}, HTTP_HX_REQUEST="true").status_code == 200
    # The ballots: an option each, no participant, no code, no time. The votes table holds nothing for this poll.
    assert {f.name for f in SecretBallot._meta.get_fields()} == {"id", "poll", "option"}
    assert sorted(SecretBallot.objects.filter(poll=poll).values_list("option_id", flat=True)) == sorted([yes, no])
    assert not Vote.objects.filter(poll=poll).exists()
    assert CodeUse.objects.filter(poll=poll).count() == 2
    # The same code again (from another device too): refused, the count unchanged.
    c = citizen(debate)
    c.post(f"/d/{debate.code}/code", {"code": first})
    r = c.post(f"/d/{debate.code}/poll/{poll.pk}/vote", {"option": no}, HTTP_HX_REQUEST="true")
    assert r.status_code == 409 and "cannot be changed" in r.content.decode()
    assert SecretBallot.objects.filter(poll=poll).count() == 2
    from debates.selectors import poll_tally

    assert [o["count"] for o in poll_tally(poll)["options"]] == [1, 1, 0]


def test_a_revoked_code_is_refused_and_cannot_vote():
    debate = make_debate()
    mod = make_moderator(debate)
    kept, lost = services.voter_codes_generate(debate=debate, actor=mod, count=2)
    poll = binding_poll(debate, mod, secret=False)
    holder = citizen(debate)
    holder.post(f"/d/{debate.code}/code", {"code": lost})
    services.voter_code_revoke(debate=debate, actor=mod, typed=codes.display(lost))
    assert ModerationLog.objects.filter(action="voter_code_revoked").count() == 1
    r = holder.post(f"/d/{debate.code}/poll/{poll.pk}/vote", {"option": options(poll)[0]}, HTTP_HX_REQUEST="true")
    assert r.status_code == 403 and "revoked" in r.content.decode()
    r = citizen(debate).post(f"/d/{debate.code}/code", {"code": lost}, HTTP_HX_REQUEST="true")
    assert r.status_code == 403 and "revoked" in r.content.decode()
    assert not Vote.objects.filter(poll=poll).exists()
    with pytest.raises(ServiceError, match="already revoked"):
        services.voter_code_revoke(debate=debate, actor=mod, typed=lost)


def test_wrong_codes_are_rate_limited():
    debate = make_debate()
    (good,) = services.voter_codes_generate(debate=debate, actor=make_moderator(debate), count=1)
    browser = citizen(debate)
    for _ in range(10):
        assert (
            browser.post(f"/d/{debate.code}/code", {"code": "ZZZZZ-ZZZZZ"}, HTTP_HX_REQUEST="true").status_code == 400
        )
    r = browser.post(f"/d/{debate.code}/code", {"code": good}, HTTP_HX_REQUEST="true")
    assert r.status_code == 429 and not VoterCode.objects.filter(participant__isnull=False).exists()


def test_rules_are_set_before_the_poll_opens():
    debate = make_debate()
    mod = make_moderator(debate)
    poll = make_poll(debate, actor=mod)  # already open
    with pytest.raises(ServiceError, match="before it opens"):
        services.poll_set_rules(poll=poll, actor=mod, binding=True, secret=False)
    with pytest.raises(ServiceError, match="needs voter codes"):
        services.poll_set_rules(
            poll=make_poll(debate, actor=mod, open_now=False), actor=mod, binding=False, secret=True
        )


def test_the_declared_result_is_frozen_hashed_and_in_the_report(client):
    debate = make_debate()
    mod = make_moderator(debate)
    issued = services.voter_codes_generate(debate=debate, actor=mod, count=4)
    poll = binding_poll(debate, mod, secret=True)
    yes, no, _abstain = options(poll)
    for code, option in zip(issued[:3], [yes, yes, no]):
        browser = citizen(debate)
        browser.post(f"/d/{debate.code}/code", {"code": code})
        browser.post(f"/d/{debate.code}/poll/{poll.pk}/vote", {"option": option}, HTTP_HX_REQUEST="true")
    with pytest.raises(ServiceError, match="Close the poll"):
        services.poll_declare_result(poll=poll, actor=mod)
    services.poll_close(poll=poll, actor=mod)
    declaration = services.poll_declare_result(poll=poll, actor=mod)
    assert declaration.declared_by == mod and declaration.declared_at
    assert [o["votes"] for o in declaration.tally["options"]] == [2, 1, 0]
    assert declaration.tally["mode"] == "secret" and declaration.tally["codes_issued"] == 4
    assert declaration.tally["codes_used"] == 3
    canonical = json.dumps(declaration.tally, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    import hashlib

    assert declaration.tally_sha256 == hashlib.sha256(canonical.encode()).hexdigest()
    with pytest.raises(ServiceError, match="already declared"):
        services.poll_declare_result(poll=poll, actor=mod)
    # Frozen: a later change of the ballots does not change the declaration.
    SecretBallot.objects.create(poll=poll, option_id=no)
    assert ResultDeclaration.objects.get(poll=poll).tally["total"] == 3
    client.force_login(mod)
    type(debate).objects.filter(pk=debate.pk).update(language="en")  # the report speaks the debate's language
    report = client.get(f"/d/{debate.code}/report/").content.decode()
    assert declaration.tally_sha256 in report and "75.0 %" in report and "4 codes issued" in report
