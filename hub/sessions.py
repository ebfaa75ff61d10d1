"""Signed-cookie sessions whose own expiry date is honoured on the server.

Django's signed-cookie backend checks a cookie's signature against SESSION_COOKIE_AGE (30 days) whatever expiry the
session set (Django ticket #19201): a citizen of a three-month consultation would come back after a month as a
stranger, their participation lost. Here a session that set an expiry *date* (debates.views.keep_participation:
the consultation's close) is accepted until that date, up to SESSION_MAX_AGE; every other session is checked as
Django does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends import signed_cookies
from django.core import signing
from django.utils import timezone

SALT = "django.contrib.sessions.backends.signed_cookies"


class SessionStore(signed_cookies.SessionStore):
    def load(self) -> dict[str, Any]:
        try:
            data = signing.loads(
                self.session_key or "", serializer=self.serializer, max_age=settings.SESSION_MAX_AGE, salt=SALT
            )
        except Exception:  # bad signature, older than the ceiling, unreadable: a fresh session, as Django does
            self.create()
            return {}
        expiry = data.get("_session_expiry")
        if not isinstance(expiry, str):  # no date of its own (or seconds, as staff sessions): Django's check
            return super().load()
        try:
            expires = datetime.fromisoformat(expiry)
        except ValueError:
            self.create()
            return {}
        if timezone.is_naive(expires):
            expires = timezone.make_aware(expires)
        if expires <= timezone.now():
            self.create()
            return {}
        return data
