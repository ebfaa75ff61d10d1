"""A debate's life cycle, settings, screen link, roles and presence samples."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from live.publish import revoke

from ..errors import ServiceError
from ..models import (
    Debate,
    DebateRole,
    Poll,
    PresenceSample,
)
from ..permissions import _forbidden, can_manage_staff, has_role, require_debate_admin, require_moderator
from .common import _log, announce


def debate_set_status(*, debate: Debate, status: str, actor: Any) -> Debate:
    """Move the debate along draft → scheduled → live → closed. Closing closes its polls and question intake."""
    require_moderator(debate, actor)
    with transaction.atomic():
        debate = Debate.objects.select_for_update().get(pk=debate.pk)
        if status not in Debate.TRANSITIONS.get(debate.status, set()):
            raise ServiceError(
                _("A debate cannot go from “%(from)s” to “%(to)s”.")
                % {
                    "from": debate.get_status_display(),
                    "to": Debate.Status(status).label if status in Debate.Status.values else status,
                },
                status=409,
            )
        before = {"status": debate.status}
        now = timezone.now()
        debate.status = status
        if status == Debate.Status.LIVE:
            debate.opened_at = now
        if status == Debate.Status.CLOSED:
            debate.closed_at = now
        debate.save()
        status_side_effects(debate, status, now)
        _log(debate, actor, "debate_status", debate, before, {"status": status})
        announce(debate.pk, STATUS_WIDGETS)
    return debate


STATUS_WIDGETS = {"status", "polls", "questions", "onscreen", "queue", "log", "screenctl"}


def status_side_effects(debate: Debate, status: str, now: Any) -> None:
    """What a status change implies besides the status itself (shared with the scheduler's tick, which changes
    the status with a conditional UPDATE): closing closes the open polls, ends the running segment and puts the
    closing slide on screen (thanks, final results, the report's link)."""
    if status != Debate.Status.CLOSED:
        return
    debate.screen_mode = Debate.ScreenMode.CLOSING
    Debate.objects.filter(pk=debate.pk).update(screen_mode=Debate.ScreenMode.CLOSING)
    for poll in debate.polls.filter(status=Poll.Status.OPEN):
        poll.status, poll.closed_at = Poll.Status.CLOSED, now
        poll.save(update_fields=["status", "closed_at"])
    seg = debate.current_segment
    if seg is not None:
        seg.end(now)  # AgendaSegment folds a pause in one place
        seg.save()


def screen_token_regenerate(*, debate: Debate, actor: Any) -> Debate:
    from ..models import new_secret_token

    require_moderator(debate, actor)
    with transaction.atomic():
        debate.screen_token = new_secret_token()
        debate.save(update_fields=["screen_token"])
        _log(debate, actor, "screen_link_regenerated", debate)
        announce(debate.pk, {"log"})
        revoke(debate_id=debate.pk, role="screen", reason="new screen link")  # the old link's open screens close
    return debate


MODERATOR_SETTINGS = frozenset(
    {
        "premoderation",
        "allow_anonymous",
        "question_max_length",
        "argument_max_length",
        "clock_warning_seconds",
        "trending_threshold",
        "word_filter",
        "screen_theme",
        "description",
        "title",
    }
)
# What only the debate's administrators change: when and in which language and time zone it runs.
ADMIN_SETTINGS = frozenset({"language", "time_zone", "scheduled_start", "scheduled_end", "auto_schedule"})


def _jsonable(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def debate_update_settings(*, debate: Debate, actor: Any, **fields: Any) -> Debate:
    """Change settings (logged with before and after). Unknown names are ignored; values that did not change are
    neither written nor logged."""
    require_moderator(debate, actor)
    if ADMIN_SETTINGS & fields.keys():
        require_debate_admin(debate, actor)
    allowed = MODERATOR_SETTINGS | ADMIN_SETTINGS
    with transaction.atomic():
        debate = Debate.objects.select_for_update().get(pk=debate.pk)
        before = {k: getattr(debate, k) for k, v in fields.items() if k in allowed and getattr(debate, k) != v}
        if not before:
            return debate
        for key in before:
            setattr(debate, key, fields[key])
        try:
            # Only what this change touches: a stored value that today's rules would refuse (the demo's vanity
            # code, say) must not block every settings change of that debate.
            debate.full_clean(exclude=[f.name for f in Debate._meta.fields if f.name not in before])
        except ValidationError as exc:
            raise ServiceError(" ".join(m for msgs in exc.message_dict.values() for m in msgs)) from None
        debate.save(update_fields=list(before))
        _log(
            debate,
            actor,
            "settings_changed",
            debate,
            {k: _jsonable(v) for k, v in before.items()},
            {k: _jsonable(fields[k]) for k in before},
        )
        announce(debate.pk, {"status", "questions", "queue", "log"})
    return debate


def role_assign(*, debate: Debate, actor: Any, username: str, role: str, title: str = "") -> DebateRole:
    """Give a staff account a role on this debate. The debate's administrators and site administrators (permission
    to add roles) may; others invite by link (services.organising.invitation_create)."""
    from django.contrib.auth import get_user_model

    if not can_manage_staff(debate, actor):
        raise _forbidden()
    if role not in DebateRole.Role.values:
        raise ServiceError(_("Unknown role."))
    user = get_user_model().objects.filter(username=(username or "").strip(), is_active=True).first()
    if user is None:
        raise ServiceError(_("No active account has this username."), status=404)
    with transaction.atomic():
        assigned, created = DebateRole.objects.get_or_create(
            debate=debate, user=user, role=role, defaults={"title": (title or "").strip()[:120]}
        )
        if not created:
            raise ServiceError(_("This account already has this role."), status=409)
        _log(debate, actor, "role_assigned", assigned, {}, {"user": user.get_username(), "role": role})
    return assigned


def role_remove(*, role: DebateRole, actor: Any) -> None:
    if not (
        can_manage_staff(role.debate, actor) or getattr(actor, "has_perm", lambda p: False)("debates.delete_debaterole")
    ):
        raise _forbidden()
    with transaction.atomic():
        _log(role.debate, actor, "role_removed", role, {"user": role.user.get_username(), "role": role.role}, {})
        role.delete()
        if not any(has_role(role.debate, role.user, r) for r in (DebateRole.Role.MODERATOR, DebateRole.Role.OFFICIAL)):
            # Their open console would keep receiving the pending queue: close it in every process.
            revoke(debate_id=role.debate_id, role="moderators", user_id=role.user_id, reason="role removed")


PRESENCE_SAMPLE_EVERY = timedelta(seconds=5)


def presence_record(debate_id: int, connected: int) -> None:
    """Keep the peak and a sample at most every few seconds, for the report."""
    Debate.objects.filter(pk=debate_id, peak_connected__lt=connected).update(peak_connected=connected)
    last = PresenceSample.objects.filter(debate_id=debate_id).order_by("-at").first()
    now = timezone.now()
    if last is None or now - last.at >= PRESENCE_SAMPLE_EVERY or (connected > last.connected * 1.5 + 10):
        PresenceSample.objects.create(debate_id=debate_id, at=now, connected=connected)
