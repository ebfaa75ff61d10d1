"""Who may do what in a debate (read-side: selectors and services both ask here)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from .errors import ServiceError
from .models import Debate, DebateRole


def _forbidden() -> ServiceError:
    return ServiceError(_("You are not allowed to do this in this debate."), status=403)


def has_role(debate: Debate, user: Any, role: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return DebateRole.objects.filter(debate=debate, user=user, role=role).exists()


def require_moderator(debate: Debate, user: Any) -> None:
    if not has_role(debate, user, DebateRole.Role.MODERATOR):
        raise _forbidden()


def require_official(debate: Debate, user: Any) -> None:
    if not has_role(debate, user, DebateRole.Role.OFFICIAL):
        raise _forbidden()


def can_organise(user: Any) -> bool:
    """May create debates (the "can organise debates" permission an administrator gives, or a superuser)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.has_perm("debates.organise_debates")


def is_debate_admin(debate: Debate, user: Any) -> bool:
    return has_role(debate, user, DebateRole.Role.ADMIN)


def require_debate_admin(debate: Debate, user: Any) -> None:
    if not is_debate_admin(debate, user):
        raise _forbidden()


def can_manage_staff(debate: Debate, user: Any) -> bool:
    """The debate's administrators, and site administrators allowed to hand out roles."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return is_debate_admin(debate, user) or user.has_perm("debates.add_debaterole")


def has_any_role(debate: Debate, user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or DebateRole.objects.filter(debate=debate, user=user).exists()
