"""The debate's settings page: moderators change settings, administrators give roles; everyone else gets 403."""

from __future__ import annotations

import pytest
from django.urls import reverse

from debates import services
from debates.models import Debate, DebateRole, ModerationLog
from tests.factories import make_debate, make_moderator, make_participant, make_user

pytestmark = pytest.mark.django_db

SETTINGS = {
    "form": "settings",
    "title": "Budget participatif",
    "description": "",
    "premoderation": "",
    "allow_anonymous": "on",
    "question_max_length": "200",
    "argument_max_length": "400",
    "trending_threshold": "5",
    "clock_warning_seconds": "45",
    "screen_theme": "light",
    "word_filter": "idiot\nbanane",
}


def url(debate):
    return reverse("moderation_settings", args=[debate.code])


def test_moderator_changes_settings_and_it_is_logged(client):
    debate = make_debate()
    client.force_login(make_moderator(debate))
    assert client.get(url(debate)).status_code == 200
    r = client.post(url(debate), SETTINGS)
    assert r.status_code == 302
    debate.refresh_from_db()
    assert (debate.premoderation, debate.trending_threshold, debate.clock_warning_seconds) == (False, 5, 45)
    assert debate.screen_theme == "light" and debate.filtered_words() == ["idiot", "banane"]
    assert ModerationLog.objects.filter(debate=debate, action="settings_changed").exists()
    # The edited word list is the one applied to new posts.
    q = services.question_submit(debate=debate, participant=make_participant(debate), text="Quelle banane !")
    assert q.status == "pending" and q.flagged_words == "banane"


def test_invalid_settings_are_refused_with_400_and_nothing_changes(client):
    debate = make_debate()
    client.force_login(make_moderator(debate))
    r = client.post(url(debate), {**SETTINGS, "question_max_length": "5"})
    assert r.status_code == 400
    debate.refresh_from_db()
    assert debate.question_max_length == 280


def test_settings_of_a_debate_with_a_vanity_code_can_be_changed(client):
    """The demo's code MAIRE7 has letters generated codes avoid (I): that must not block its settings."""
    debate = make_debate()
    Debate.objects.filter(pk=debate.pk).update(code="MAIRE7")
    debate.refresh_from_db()
    client.force_login(make_moderator(debate))
    assert client.post(url(debate), SETTINGS).status_code == 302
    debate.refresh_from_db()
    assert debate.trending_threshold == 5 and debate.code == "MAIRE7"


@pytest.mark.parametrize("who", ["citizen", "other_moderator"])
def test_others_get_403_and_nothing_changes(client, who):
    debate = make_debate()
    if who == "other_moderator":
        client.force_login(make_moderator(make_debate()))
    else:
        client.force_login(make_user())
    assert client.post(url(debate), SETTINGS).status_code == 403
    assert Debate.objects.get(pk=debate.pk).title == debate.title


def test_only_administrators_give_roles(client):
    debate = make_debate()
    moderator = make_moderator(debate)
    newcomer = make_user(username="camille")
    client.force_login(moderator)
    r = client.post(url(debate), {"form": "role", "username": "camille", "role": "official", "title": "Maire"})
    assert r.status_code == 403 and not DebateRole.objects.filter(user=newcomer).exists()
    admin = make_user(is_superuser=True, is_staff=True)
    client.force_login(admin)
    r = client.post(url(debate), {"form": "role", "username": "camille", "role": "official", "title": "Maire"})
    assert r.status_code == 302
    role = DebateRole.objects.get(user=newcomer, debate=debate)
    assert role.title == "Maire"
    r = client.post(url(debate), {"form": "role", "username": "camille", "role": "official"})
    assert r.status_code == 409
    r = client.post(url(debate), {"form": "role", "username": "nobody", "role": "official"})
    assert r.status_code == 404
    r = client.post(url(debate), {"form": "remove_role", "role": role.pk})
    assert r.status_code == 302 and not DebateRole.objects.filter(pk=role.pk).exists()
