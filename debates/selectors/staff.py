"""Staff: roles on a debate, "My debates", invitations, notes to officials and the moderation log."""

from __future__ import annotations

from typing import Any

from ..models import (
    Debate,
    DebateRole,
)
from ..permissions import has_role
from .common import CONSOLE_PAGE, page_of


def user_can_moderate(debate: Debate, user: Any) -> bool:
    return has_role(debate, user, DebateRole.Role.MODERATOR)


def user_is_official(debate: Debate, user: Any) -> bool:
    return has_role(debate, user, DebateRole.Role.OFFICIAL)


def log_page(debate: Debate, page: Any = 1, per_page: int = CONSOLE_PAGE) -> dict[str, Any]:
    return page_of(debate.log.select_related("actor").order_by("-created_at", "-id"), page, per_page)


def official_titles(debate: Debate) -> dict[int, str]:
    """user id → public title for the debate's officials (the badge is derived from the role)."""
    return {
        r.user_id: (r.title or r.user.get_full_name() or r.user.get_username())
        for r in DebateRole.objects.filter(debate=debate, role=DebateRole.Role.OFFICIAL).select_related("user")
    }


def debates_of_staff(user: Any, *, archived: bool = False) -> list[tuple[str, Any, list[Debate]]]:
    """ "My debates": the debates where `user` has a role (every debate for a superuser), by state in the order an
    organiser works through them; archived ones apart."""
    qs = Debate.objects.all() if user.is_superuser else Debate.objects.filter(roles__user=user).distinct()
    qs = qs.filter(archived_at__isnull=not archived).order_by("scheduled_start", "-id")
    by_status: dict[str, list[Debate]] = {s: [] for s in Debate.Status.values}
    for debate in qs:
        by_status[debate.status].append(debate)
    by_status[Debate.Status.CLOSED].sort(key=lambda d: d.closed_at or d.created_at, reverse=True)
    order = (Debate.Status.LIVE, Debate.Status.SCHEDULED, Debate.Status.DRAFT, Debate.Status.CLOSED)
    return [(s, Debate.Status(s).label, by_status[s]) for s in order]


def staff_roles(debate: Debate) -> list[DebateRole]:
    return list(debate.roles.select_related("user").order_by("role", "user__username"))


def invitations_of(debate: Debate) -> list[Any]:
    from ..models import Invitation

    return list(Invitation.objects.filter(debate=debate).select_related("accepted_by").order_by("-created_at"))


def staff_notes(debate: Debate, limit: int = 5) -> list:
    """The moderators' latest notes to the officials, newest first (staff only)."""
    from ..models import StaffNote

    return list(StaffNote.objects.filter(debate=debate).select_related("author").order_by("-created_at", "-id")[:limit])
