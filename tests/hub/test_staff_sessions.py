"""Staff sessions: logout and losing one's last role revoke every copy at once; a shorter staff lifetime; a password
change revokes; rotating SECRET_KEY keeps citizens who they are (issue 12, item 1)."""

from __future__ import annotations

import time

import pytest
from django.test import Client

from debates import services, staff_sessions
from debates.models import DebateRole, Participant, Vote
from tests.factories import make_debate, make_moderator, make_poll, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-123"


def signed_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def copy_of(client: Client) -> Client:
    """Another browser holding a copy of the same cookie (stolen, or a second tab)."""
    copy = Client(HTTP_ACCEPT_LANGUAGE="en")
    for name, morsel in client.cookies.items():
        copy.cookies[name] = morsel.value
    return copy


def console(client: Client, debate) -> int:
    return client.get(f"/d/{debate.code}/moderate/").status_code


def act(client: Client, debate) -> int:
    return client.post(
        f"/d/{debate.code}/moderate/act", {"action": "clock", "clock_action": "start"}, HTTP_HX_REQUEST="true"
    ).status_code


def test_logout_revokes_every_copy_of_the_session():
    debate = make_debate()
    moderator = make_moderator(debate)
    browser = signed_in(moderator)
    stolen = copy_of(browser)
    assert console(stolen, debate) == 200 and act(stolen, debate) == 200
    browser.post("/accounts/logout/")
    assert console(stolen, debate) == 302  # to the sign-in page
    assert act(stolen, debate) == 403


def test_logout_ends_sessions_signed_in_before_not_after():
    debate = make_debate()
    moderator = make_moderator(debate)
    laptop = signed_in(moderator)
    laptop.post("/accounts/logout/")
    phone = signed_in(moderator)  # signing in again afterwards works
    assert console(phone, debate) == 200


def test_a_revoked_session_keeps_the_citizen_identity_it_held():
    debate = make_debate(premoderation=False)
    moderator = make_moderator(debate)
    browser = signed_in(moderator)
    poll = make_poll(debate, actor=moderator)
    option = poll.options.first()
    stolen = copy_of(browser)
    assert (
        stolen.post(f"/d/{debate.code}/poll/{poll.pk}/vote", {"option": option.pk}, HTTP_HX_REQUEST="true").status_code
        == 200
    )
    staff_sessions.revoke(moderator)
    assert (
        stolen.post(f"/d/{debate.code}/poll/{poll.pk}/vote", {"option": option.pk}, HTTP_HX_REQUEST="true").status_code
        == 200
    )
    assert Vote.objects.filter(poll=poll).count() == 1 and Participant.objects.filter(debate=debate).count() == 1


def test_losing_ones_last_role_revokes_every_session():
    debate, other = make_debate(), make_debate()
    moderator = make_moderator(debate)
    DebateRole.objects.create(debate=other, user=moderator, role=DebateRole.Role.MODERATOR)
    admin = make_user(is_superuser=True, is_staff=True)
    browser = signed_in(moderator)
    with_settings = lambda role: services.role_remove(role=role, actor=admin)  # noqa: E731
    with_settings(DebateRole.objects.get(debate=debate, user=moderator))
    assert console(browser, other) == 200  # one role left: still signed in
    with_settings(DebateRole.objects.get(debate=other, user=moderator))
    assert console(browser, other) == 302


def test_role_removed_in_the_django_admin_revokes_too():
    debate = make_debate()
    moderator = make_moderator(debate)
    browser = signed_in(moderator)
    DebateRole.objects.filter(user=moderator).delete()  # as the admin's inline does: no service involved
    assert console(browser, debate) == 302


def test_staff_sessions_expire_after_the_staff_lifetime(settings, monkeypatch):
    settings.STAFF_SESSION_AGE = 3600
    debate = make_debate()
    moderator = make_moderator(debate)
    browser = signed_in(moderator)
    assert 3500 < browser.cookies[settings.SESSION_COOKIE_NAME]["max-age"] <= 3600
    stolen = copy_of(browser)
    now = time.time()
    monkeypatch.setattr(staff_sessions.time, "time", lambda: now + 3500)
    assert console(stolen, debate) == 200
    monkeypatch.setattr(staff_sessions.time, "time", lambda: now + 3700)
    assert console(stolen, debate) == 302


def test_a_password_change_revokes_other_sessions():
    debate = make_debate()
    moderator = make_moderator(debate)
    browser = signed_in(moderator)
    moderator.set_password("a-new-password-456")
    moderator.save()
    assert console(browser, debate) == 302


def test_rotating_the_secret_key_keeps_citizens_and_staff(settings):
    debate = make_debate(premoderation=False)
    moderator = make_moderator(debate)
    poll = make_poll(debate, actor=moderator)
    yes, no = poll.options.order_by("position")[:2]
    citizen = Client()
    assert citizen.post(f"/d/{debate.code}/poll/{poll.pk}/vote", {"option": yes.pk}).status_code == 302
    staff = signed_in(moderator)
    staff_before_rotation = copy_of(staff)
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "a-brand-new-secret-key-for-the-rotation-test-0123456789abcdef"
    settings.SECRET_KEY_FALLBACKS = [old]
    assert citizen.post(f"/d/{debate.code}/poll/{poll.pk}/vote", {"option": no.pk}).status_code == 302
    assert Participant.objects.filter(debate=debate).count() == 1  # the same citizen changed their vote
    assert list(Vote.objects.filter(poll=poll).values_list("option", flat=True)) == [no.pk]
    assert console(staff, debate) == 200
    settings.SECRET_KEY_FALLBACKS = []  # once the old key is dropped, cookies signed with it no longer read
    assert console(staff_before_rotation, debate) == 302


def test_settings_read_the_rotation_and_lifetime_from_the_environment():
    from tests.test_deploy import settings_env_names

    assert {"SECRET_KEY_FALLBACKS", "STAFF_SESSION_AGE"} <= settings_env_names()
