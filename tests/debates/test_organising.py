"""Organising without the admin: create, duplicate, archive, delete, agenda, invitations, and who may."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.utils import timezone

from debates import services
from debates.models import Debate, DebateRole, Invitation, ModerationLog
from debates.permissions import can_organise, has_role
from debates.services import organising
from tests.factories import make_moderator, make_user

pytestmark = pytest.mark.django_db


def make_organiser(**extra):
    user = make_user(**extra)
    user.user_permissions.add(Permission.objects.get(codename="organise_debates"))
    return type(user).objects.get(pk=user.pk)  # drop the permission cache


def test_only_organisers_create_and_the_creator_administers_and_moderates():
    with pytest.raises(services.ServiceError) as exc:
        organising.debate_create(actor=make_user(), title="Nope")
    assert exc.value.status == 403
    org = make_organiser()
    debate = organising.debate_create(
        actor=org,
        title="Budget 2027",
        language="en",
        time_zone="America/Montreal",
        segments=[("Welcome", 5), ("Questions", 40), ("Wrap-up", 5)],
    )
    assert debate.status == Debate.Status.DRAFT and debate.created_by == org
    assert has_role(debate, org, DebateRole.Role.ADMIN) and has_role(debate, org, DebateRole.Role.MODERATOR)
    assert [(s.title, s.planned_seconds) for s in debate.segments.all()] == [
        ("Welcome", 300),
        ("Questions", 2400),
        ("Wrap-up", 300),
    ]
    assert ModerationLog.objects.filter(debate=debate, action="debate_created").exists()


def test_create_refuses_bad_input_with_a_message():
    org = make_organiser()
    with pytest.raises(services.ServiceError) as exc:
        organising.debate_create(actor=org, title="x", time_zone="Nowhere/City")
    assert "Nowhere/City" in exc.value.message
    start = timezone.now()
    with pytest.raises(services.ServiceError):
        organising.debate_create(actor=org, title="x", scheduled_start=start, scheduled_end=start - timedelta(hours=1))
    assert not Debate.objects.filter(title="x").exists()


def test_duplicate_copies_settings_and_agenda_not_content():
    org = make_organiser()
    source = organising.debate_create(
        actor=org,
        title="Conseil",
        trending_threshold=3,
        language="en",
        word_filter="zut",
        segments=[("A", 10), ("B", 20)],
    )
    source.status = Debate.Status.CLOSED
    source.save()

    copy = organising.debate_duplicate(debate=source, actor=org)
    assert copy.pk != source.pk and copy.code != source.code and copy.status == Debate.Status.DRAFT
    assert copy.trending_threshold == 3 and copy.language == "en" and copy.word_filter == "zut"
    assert [(s.title, s.planned_seconds) for s in copy.segments.all()] == [("A", 600), ("B", 1200)]
    assert copy.questions.count() == 0 and copy.scheduled_start is None
    assert has_role(copy, org, DebateRole.Role.ADMIN)


def test_only_a_draft_is_deleted_and_archive_is_reversible():
    org = make_organiser()
    debate = organising.debate_create(actor=org, title="Brouillon")
    services.debate_set_status(debate=debate, status=Debate.Status.SCHEDULED, actor=org)
    with pytest.raises(services.ServiceError) as exc:
        organising.debate_delete(debate=debate, actor=org)
    assert exc.value.status == 409
    organising.debate_archive(debate=debate, actor=org)
    assert Debate.objects.get(pk=debate.pk).archived_at is not None
    organising.debate_archive(debate=debate, actor=org, archived=False)
    assert Debate.objects.get(pk=debate.pk).archived_at is None
    draft = organising.debate_create(actor=org, title="Jetable")
    with pytest.raises(services.ServiceError):
        organising.debate_delete(debate=draft, actor=make_moderator(draft))  # a moderator is not its admin
    organising.debate_delete(debate=draft, actor=org)
    assert not Debate.objects.filter(pk=draft.pk).exists()


def test_admin_settings_need_the_admin_role_and_changes_are_logged():
    org = make_organiser()
    debate = organising.debate_create(actor=org, title="Réglages")
    mod = make_moderator(debate)
    with pytest.raises(services.ServiceError):
        services.debate_update_settings(debate=debate, actor=mod, time_zone="Europe/Berlin")
    start = timezone.now() + timedelta(days=2)
    services.debate_update_settings(
        debate=debate,
        actor=org,
        time_zone="Europe/Berlin",
        scheduled_start=start,
        trending_threshold=debate.trending_threshold,
    )
    entry = ModerationLog.objects.filter(debate=debate, action="settings_changed").get()
    assert entry.before == {"time_zone": "Europe/Paris", "scheduled_start": None}
    assert entry.after == {"time_zone": "Europe/Berlin", "scheduled_start": start.isoformat()}


def test_agenda_replace_in_minutes_until_the_debate_starts():
    org = make_organiser()
    debate = organising.debate_create(actor=org, title="Ordre du jour", segments=[("A", 10)])
    organising.agenda_replace(debate=debate, actor=org, segments=[("Accueil", 5), ("", 3), ("Débat", "45")])
    assert [(s.title, s.planned_seconds) for s in debate.segments.all()] == [("Accueil", 300), ("Débat", 2700)]
    with pytest.raises(services.ServiceError):
        organising.agenda_replace(debate=debate, actor=org, segments=[("Trop", 0)])
    services.debate_set_status(debate=debate, status=Debate.Status.LIVE, actor=org)
    with pytest.raises(services.ServiceError) as exc:
        organising.agenda_replace(debate=debate, actor=org, segments=[("Autre", 5)])
    assert exc.value.status == 409


def test_invitation_single_use_hashed_and_never_by_email():
    org = make_organiser()
    debate = organising.debate_create(actor=org, title="Invitations")
    issued = organising.invitation_create(
        debate=debate, actor=org, role=DebateRole.Role.OFFICIAL, title="Mayor of Nanterre", email="maire@example.org"
    )
    stored = Invitation.objects.get(pk=issued.invitation.pk)
    assert issued.token not in stored.token_hash and len(stored.token_hash) == 64
    assert stored.expires_at <= timezone.now() + timedelta(days=7)
    # An account with the same e-mail gets nothing by itself.
    same_mail = make_user(email="maire@example.org")
    assert not has_role(debate, same_mail, DebateRole.Role.OFFICIAL)
    mayor = make_user()
    role = organising.invitation_accept(token=issued.token, user=mayor)
    assert role.role == DebateRole.Role.OFFICIAL and role.title == "Mayor of Nanterre"
    with pytest.raises(services.ServiceError) as exc:
        organising.invitation_accept(token=issued.token, user=make_user())
    assert exc.value.status == 410
    with pytest.raises(services.ServiceError) as exc:
        organising.invitation_accept(token="not-a-token", user=mayor)
    assert exc.value.status == 404


def test_invitation_revoke_expire_and_renew():
    org = make_organiser()
    debate = organising.debate_create(actor=org, title="Révocations")
    with pytest.raises(services.ServiceError):
        organising.invitation_create(debate=debate, actor=make_moderator(debate), role=DebateRole.Role.MODERATOR)
    with pytest.raises(services.ServiceError):
        organising.invitation_create(debate=debate, actor=org, role=DebateRole.Role.MODERATOR, days=8)
    issued = organising.invitation_create(debate=debate, actor=org, role=DebateRole.Role.MODERATOR)
    organising.invitation_revoke(invitation=issued.invitation, actor=org)
    with pytest.raises(services.ServiceError) as exc:
        organising.invitation_accept(token=issued.token, user=make_user())
    assert "retirée" in exc.value.message
    renewed = organising.invitation_renew(invitation=issued.invitation, actor=org)
    assert renewed.token != issued.token
    with pytest.raises(services.ServiceError):
        organising.invitation_accept(token=issued.token, user=make_user())  # the old link is dead
    Invitation.objects.filter(pk=issued.invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(services.ServiceError) as exc:
        organising.invitation_accept(token=renewed.token, user=make_user())
    assert "expiré" in exc.value.message


def test_debate_admin_removes_staff():
    org = make_organiser()
    debate = organising.debate_create(actor=org, title="Équipe")
    mod = make_moderator(debate)
    role = DebateRole.objects.get(debate=debate, user=mod)
    with pytest.raises(services.ServiceError):
        services.role_remove(role=role, actor=mod)
    services.role_remove(role=role, actor=org)
    assert not has_role(debate, mod, DebateRole.Role.MODERATOR)


def test_organiser_command_grants_the_permission():
    call_command("organiser", "ada", "--create", "--password", "a-long-pass-phrase-42")
    from django.contrib.auth import get_user_model

    assert can_organise(get_user_model().objects.get(username="ada"))
