"""Staff sessions follow sign-in, sign-out and roles (see staff_sessions), whichever page or admin did it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_delete
from django.dispatch import receiver

from . import staff_sessions
from .models import DebateRole


@receiver(user_logged_in, dispatch_uid="staff_sessions.start")
def _signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        staff_sessions.start(request.session, user)


@receiver(user_logged_out, dispatch_uid="staff_sessions.revoke_on_logout")
def _signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    # Logging out ends every copy of this account's sessions, not only the cookie of this browser.
    if user is not None and getattr(user, "is_authenticated", False):
        staff_sessions.revoke(user)


@receiver(post_delete, sender=DebateRole, dispatch_uid="staff_sessions.revoke_on_last_role")
def _role_removed(sender: Any, instance: DebateRole, **kwargs: Any) -> None:
    # In the deletion's own transaction: if it rolls back, so does the revocation.
    user = instance.user
    if not staff_sessions.has_any_role(user):
        staff_sessions.revoke(user)
