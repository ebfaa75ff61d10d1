"""Staff sessions that can be revoked: every copy at once, on logout or when a user loses their last role.

Sessions live in a signed cookie (settings.SESSION_ENGINE): no row per citizen, nothing to delete server-side, so a
copied cookie stayed valid after logout for its whole age. Each staff account has an epoch (a counter in the
database). Signing in stores the account's current epoch and the time in the session; revoking increments the
epoch, so every session signed in before is refused from then on, wherever its copies are. The check runs where
request.user is resolved (lazily: only requests that look at the user, i.e. staff pages and role checks, pay its
one query), never on the hot vote path, which does not look at the user.

A staff session also expires after settings.STAFF_SESSION_AGE, checked here, on the server: a copied cookie
outlives the browser's expiry date.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.db import transaction
from django.db.models import F

from live import publish

from .models import DebateRole, StaffSessionEpoch

EPOCH_KEY = "_staff_epoch"
SIGNED_IN_AT_KEY = "_staff_signed_in_at"
AUTH_KEYS = (SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY, EPOCH_KEY, SIGNED_IN_AT_KEY)


def epoch_of(user_id: Any) -> int:
    return StaffSessionEpoch.objects.filter(user_id=user_id).values_list("epoch", flat=True).first() or 0


def start(session: Any, user: Any) -> None:
    """At sign-in: remember the account's epoch and the time, and let the browser drop the cookie early too."""
    session[EPOCH_KEY] = epoch_of(user.pk)
    session[SIGNED_IN_AT_KEY] = int(time.time())
    session.set_expiry(settings.STAFF_SESSION_AGE)


def is_current(session: Any, user: Any) -> bool:
    """Whether this signed-in session still holds: not revoked since, not older than STAFF_SESSION_AGE."""
    if not getattr(user, "is_authenticated", False):
        return True
    epoch, signed_in_at = session.get(EPOCH_KEY), session.get(SIGNED_IN_AT_KEY)
    if not isinstance(epoch, int) or not isinstance(signed_in_at, int):
        return False  # signed in before sessions carried an epoch: sign in again
    if time.time() - signed_in_at > settings.STAFF_SESSION_AGE:
        return False
    return epoch == epoch_of(user.pk)


def forget(session: Any) -> None:
    """Drop the sign-in from a session that no longer holds, keeping the rest (a citizen's participants)."""
    for key in AUTH_KEYS:
        session.pop(key, None)


def revoke(user: Any) -> None:
    """Refuse every session this account signed in before now, wherever its copies are."""
    if user is None or getattr(user, "pk", None) is None:
        return
    with transaction.atomic():
        StaffSessionEpoch.objects.get_or_create(user_id=user.pk)
        StaffSessionEpoch.objects.filter(user_id=user.pk).update(epoch=F("epoch") + 1)
        # Their open consoles close too, in every process (after commit).
        publish.revoke(role="moderators", user_id=user.pk, reason="signed out")


def has_any_role(user: Any) -> bool:
    # An organiser keeps their session when deleting their last draft (its roles go with it).
    return (
        bool(user.is_superuser or user.is_staff)
        or DebateRole.objects.filter(user_id=user.pk).exists()
        or user.has_perm("debates.organise_debates")
    )
