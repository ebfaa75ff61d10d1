"""The organiser's pages over HTTP: dashboard, create with agenda, edit, staff invitations, print kit, preview."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from debates.models import Debate, DebateRole, Invitation, ModerationLog
from debates.permissions import has_role
from tests.factories import make_debate, make_moderator, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def organiser(client):
    user = make_user(username="orga")
    user.user_permissions.add(Permission.objects.get(codename="organise_debates"))
    client.force_login(user)
    return user


def create_debate(client, **extra):
    data = {
        "title": "Conseil de quartier",
        "description": "",
        "language": "fr",
        "time_zone": "Europe/Paris",
        "scheduled_start": "2027-03-04T18:30",
        "scheduled_end": "",
        "premoderation": "on",
        "allow_anonymous": "on",
        "question_max_length": 280,
        "argument_max_length": 500,
        "trending_threshold": 10,
        "clock_warning_seconds": 30,
        "screen_theme": "dark",
        "word_filter": "",
        "agenda-title": ["Accueil", "Questions", "Conclusion", ""],
        "agenda-minutes": ["5", "40", "10", ""],
    }
    data.update(extra)
    return client.post(reverse("organise_create"), data)


def test_everyone_sees_sign_in_and_login_lands_on_the_dashboard(client):
    assert f'href="{reverse("login")}"' in client.get("/").content.decode()
    make_user(username="staffer", password="pw-for-tests-123")
    response = client.post(reverse("login"), {"username": "staffer", "password": "pw-for-tests-123"})
    assert response.status_code == 302 and response["Location"] == reverse("organise_dashboard")
    assert client.get(reverse("organise_dashboard")).status_code == 200


def test_dashboard_needs_sign_in(client):
    response = client.get(reverse("organise_dashboard"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_create_with_agenda_in_minutes_and_dates_in_the_debate_time_zone(client, organiser):
    response = create_debate(client, time_zone="America/Montreal")
    debate = Debate.objects.get(title="Conseil de quartier")
    assert response.status_code == 302 and response["Location"] == reverse("organise_staff", args=[debate.code])
    assert [(s.title, s.planned_seconds) for s in debate.segments.all()] == [
        ("Accueil", 300),
        ("Questions", 2400),
        ("Conclusion", 600),
    ]
    assert debate.scheduled_start.isoformat() == "2027-03-04T23:30:00+00:00"  # 18:30 in Montreal
    assert (debate.scheduled_end - debate.scheduled_start).total_seconds() == 55 * 60  # from the agenda
    assert has_role(debate, organiser, DebateRole.Role.ADMIN)
    page = client.get(reverse("organise_dashboard")).content.decode()
    assert "Conseil de quartier" in page and debate.code in page


def test_create_refuses_bad_agenda_and_keeps_what_was_typed(client, organiser):
    response = create_debate(client, **{"agenda-minutes": ["5", "quarante", "10", ""]})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Conseil de quartier" in body and "quarante" in body
    assert not Debate.objects.exists()


def test_without_the_permission_one_cannot_create(client):
    client.force_login(make_user())
    assert client.get(reverse("organise_create")).status_code == 403


def test_edit_logs_changes_and_only_admins_edit(client, organiser):
    create_debate(client)
    debate = Debate.objects.get()
    data = {
        "title": "Conseil de quartier (Nord)",
        "description": "",
        "language": "en",
        "time_zone": "Europe/Paris",
        "scheduled_start": "2027-03-04T18:30",
        "scheduled_end": "2027-03-04T20:00",
        "question_max_length": 280,
        "argument_max_length": 500,
        "trending_threshold": 5,
        "clock_warning_seconds": 30,
        "screen_theme": "light",
        "word_filter": "",
        "agenda-title": ["Accueil", "Questions"],
        "agenda-minutes": ["5", "60"],
    }
    response = client.post(reverse("organise_edit", args=[debate.code]), data)
    assert response.status_code == 302
    debate.refresh_from_db()
    assert debate.language == "en" and debate.trending_threshold == 5 and not debate.premoderation
    assert debate.segments.count() == 2
    entry = ModerationLog.objects.filter(debate=debate, action="settings_changed").latest("id")
    assert entry.after["language"] == "en" and entry.before["title"] == "Conseil de quartier"
    other = make_moderator(debate)
    client.force_login(other)
    assert client.get(reverse("organise_edit", args=[debate.code])).status_code == 403


def test_invite_accept_by_creating_an_account(client, organiser):
    create_debate(client)
    debate = Debate.objects.get()
    response = client.post(
        reverse("organise_staff", args=[debate.code]),
        {"action": "invite", "role": "official", "title": "Maire de Nanterre", "note": "Maire"},
        follow=True,
    )
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    link = re.search(r'value="(http://testserver/invite/[^"]+/)"', response.content.decode()).group(1)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert not Invitation.objects.filter(token_hash__contains=token).exists()
    client.logout()
    page = client.get(link)
    assert page.status_code == 200 and "Conseil de quartier" in page.content.decode()
    response = client.post(
        link,
        {
            "action": "signup",
            "username": "maire",
            "email": "",
            "password1": "un-mot-de-passe-long-42",
            "password2": "un-mot-de-passe-long-42",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("moderate", args=[debate.code])
    role = DebateRole.objects.get(debate=debate, user__username="maire")
    assert role.role == "official" and role.title == "Maire de Nanterre"
    assert client.get(link).status_code == 410  # single use


def test_invite_accept_with_the_signed_in_account_and_revoke(client, organiser):
    create_debate(client)
    debate = Debate.objects.get()
    body = client.post(
        reverse("organise_staff", args=[debate.code]), {"action": "invite", "role": "moderator"}, follow=True
    ).content.decode()
    link = re.search(r'value="(http://testserver/invite/[^"]+/)"', body).group(1)
    invitation = Invitation.objects.get()
    client.post(reverse("organise_staff", args=[debate.code]), {"action": "revoke", "invitation": invitation.pk})
    helper = make_user()
    client.force_login(helper)
    assert client.post(link, {"action": "accept"}).status_code == 410
    client.force_login(organiser)
    body = client.post(
        reverse("organise_staff", args=[debate.code]), {"action": "renew", "invitation": invitation.pk}, follow=True
    ).content.decode()
    link = re.search(r'value="(http://testserver/invite/[^"]+/)"', body).group(1)
    client.force_login(helper)
    assert client.post(link, {"action": "accept"}).status_code == 302
    assert has_role(debate, helper, DebateRole.Role.MODERATOR)


def test_poster_in_the_debate_language_without_the_screen_link(client, organiser):
    create_debate(client, language="en")
    debate = Debate.objects.get()
    body = client.get(reverse("organise_poster", args=[debate.code])).content.decode()
    assert debate.code in body and "testserver/" + debate.code in body and "<svg" in body
    assert debate.screen_token not in body
    assert 'lang="en"' in body and "Ask your questions" in body and "March 2027" in body
    sheet = client.get(reverse("organise_screen_sheet", args=[debate.code])).content.decode()
    assert debate.screen_token in sheet
    official = make_user()
    DebateRole.objects.create(debate=debate, user=official, role=DebateRole.Role.OFFICIAL)
    client.force_login(official)
    assert client.get(reverse("organise_screen_sheet", args=[debate.code])).status_code == 403
    assert client.get(reverse("organise_howto", args=[debate.code])).status_code == 200


def test_preview_a_draft_and_go_live_through_the_service(client, organiser):
    create_debate(client)
    debate = Debate.objects.get()
    assert client.get(reverse("citizen", args=[debate.code])).status_code == 404  # a draft is not public
    preview = client.get(reverse("organise_preview", args=[debate.code]))
    assert preview.status_code == 200 and "preview-banner" in preview.content.decode()
    response = client.post(reverse("organise_status", args=[debate.code]), {"status": "live"})
    assert response["Location"] == reverse("moderate", args=[debate.code])
    debate.refresh_from_db()
    assert debate.status == "live" and debate.opened_at is not None


def test_duplicate_archive_and_delete_a_draft(client, organiser):
    create_debate(client)
    debate = Debate.objects.get()
    response = client.post(reverse("organise_duplicate", args=[debate.code]))
    copy = Debate.objects.exclude(pk=debate.pk).get()
    assert response["Location"] == reverse("organise_edit", args=[copy.code]) and copy.segments.count() == 3
    client.post(reverse("organise_delete", args=[copy.code]))
    assert not Debate.objects.filter(pk=copy.pk).exists()
    client.post(reverse("organise_archive", args=[debate.code]), {"archived": "1"})
    assert debate.title not in client.get(reverse("organise_dashboard")).content.decode()
    assert debate.title in client.get(reverse("organise_dashboard") + "?archived=1").content.decode()


def test_admin_status_is_read_only_and_its_action_calls_the_service(admin_client):
    debate = make_debate(status=Debate.Status.SCHEDULED)
    page = admin_client.get(reverse("admin:debates_debate_change", args=[debate.pk])).content.decode()
    assert 'name="status"' not in page and 'name="on_screen"' not in page
    admin_client.post(
        reverse("admin:debates_debate_changelist"), {"action": "make_live", "_selected_action": [debate.pk]}
    )
    debate.refresh_from_db()
    assert debate.status == Debate.Status.LIVE and debate.opened_at is not None
    assert ModerationLog.objects.filter(debate=debate, action="debate_status").exists()


def test_the_log_page_reads_every_organising_action(client, organiser):
    create_debate(client)
    debate = Debate.objects.get()
    client.post(reverse("organise_duplicate", args=[debate.code]))
    client.post(reverse("organise_staff", args=[debate.code]), {"action": "invite", "role": "moderator"})
    invitation = Invitation.objects.get()
    client.post(reverse("organise_staff", args=[debate.code]), {"action": "renew", "invitation": invitation.pk})
    client.post(reverse("organise_staff", args=[debate.code]), {"action": "revoke", "invitation": invitation.pk})
    client.post(reverse("organise_archive", args=[debate.code]), {"archived": "1"})
    client.post(reverse("organise_archive", args=[debate.code]), {"archived": "0"})
    data = {
        "title": "Autre titre",
        "language": "fr",
        "time_zone": "Europe/Paris",
        "scheduled_start": "",
        "scheduled_end": "",
        "question_max_length": 280,
        "argument_max_length": 500,
        "trending_threshold": 10,
        "clock_warning_seconds": 30,
        "screen_theme": "dark",
        "word_filter": "",
        "agenda-title": ["Accueil"],
        "agenda-minutes": ["5"],
    }
    client.post(reverse("organise_edit", args=[debate.code]), data)
    actions = set(ModerationLog.objects.filter(debate=debate).values_list("action", flat=True))
    assert {
        "debate_created",
        "invitation_created",
        "invitation_renewed",
        "invitation_revoked",
        "debate_archived",
        "debate_unarchived",
        "agenda_changed",
        "settings_changed",
    } <= actions
    page = client.get(reverse("moderation_log", args=[debate.code]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "a créé le débat" in body and "a retiré une invitation" in body and "a modifié l’ordre du jour" in body


def test_with_email_set_up_the_invitation_is_mailed_and_staff_can_reset_a_password(
    client, organiser, settings, mailoutbox
):
    settings.EMAIL_ENABLED = True
    create_debate(client)
    debate = Debate.objects.get()
    body = client.post(
        reverse("organise_staff", args=[debate.code]),
        {"action": "invite", "role": "official", "title": "Maire", "email": "maire@example.org"},
        follow=True,
    ).content.decode()
    link = re.search(r'value="(http://testserver/invite/[^"]+/)"', body).group(1)
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["maire@example.org"] and link in mailoutbox[0].body
    # Password reset for a staff account with an address.
    organiser.email = "orga@example.org"
    organiser.save()
    client.logout()
    response = client.post(reverse("password_reset"), {"email": "orga@example.org"})
    assert response.status_code == 302 and len(mailoutbox) == 2
    reset_link = re.search(r"http://testserver(/accounts/reset/\S+/)", mailoutbox[1].body).group(1)
    form_page = client.get(reset_link, follow=True)
    assert form_page.status_code == 200 and 'name="new_password1"' in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else reset_link,
        {"new_password1": "un-nouveau-mot-de-passe-42", "new_password2": "un-nouveau-mot-de-passe-42"},
    )
    assert done.status_code == 302
    assert client.login(username="orga", password="un-nouveau-mot-de-passe-42")


def test_an_organiser_deleting_their_only_draft_stays_signed_in(client):
    user = make_user(username="seule")
    user.user_permissions.add(Permission.objects.get(codename="organise_debates"))
    client.post(reverse("login"), {"username": "seule", "password": "pw-for-tests-123"})
    create_debate(client)
    debate = Debate.objects.get()
    client.post(reverse("organise_delete", args=[debate.code]))
    assert not Debate.objects.exists()
    assert client.get(reverse("organise_dashboard")).status_code == 200  # not sent back to the sign-in page


def test_reloading_after_an_invitation_neither_invites_again_nor_shows_the_link_again(client, organiser):
    create_debate(client)
    debate = Debate.objects.get()
    url = reverse("organise_staff", args=[debate.code])
    posted = client.post(url, {"action": "invite", "role": "moderator"})
    assert posted.status_code == 302 and posted["Location"] == url  # Post/Redirect/Get
    shown = client.get(url)
    assert shown.status_code == 200 and re.search(r'value="http://testserver/invite/[^"]+/"', shown.content.decode())
    again = client.get(url)  # the reload
    assert not re.search(r'value="http://testserver/invite/[^"]+/"', again.content.decode())
    assert Invitation.objects.filter(debate=debate).count() == 1
