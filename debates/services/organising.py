"""Organising a debate without the Django admin: create, duplicate, archive, delete a draft, its agenda, and its
staff by invitation.

Who may: creating needs the "can organise debates" permission (given by an administrator); everything else on a
debate needs its debate-administrator role, which its creator gets (with the moderator role) on creation.
Settings changes go through debates.services.debates.debate_update_settings (logged there), status changes
through debate_set_status: this module never writes a status.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .common import announce

from ..errors import ServiceError
from ..models import AgendaSegment, Debate, DebateRole, Invitation, new_join_code, new_secret_token
from ..permissions import _forbidden, can_manage_staff, can_organise, require_debate_admin
from .common import _log
from .debates import ADMIN_SETTINGS, MODERATOR_SETTINGS

# What a template carries over to its copy: settings and agenda, never content, staff, dates or status.
COPIED_FIELDS = (
    "description",
    "language",
    "time_zone",
    "premoderation",
    "allow_anonymous",
    "question_max_length",
    "argument_max_length",
    "clock_warning_seconds",
    "trending_threshold",
    "word_filter",
    "screen_theme",
    "auto_schedule",
)
CREATE_FIELDS = MODERATOR_SETTINGS | ADMIN_SETTINGS


def _clean(debate: Debate) -> None:
    try:
        debate.full_clean(exclude=["code", "slug"])
    except ValidationError as exc:
        raise ServiceError(" ".join(m for msgs in exc.message_dict.values() for m in msgs)) from None


def _save_with_fresh_code(debate: Debate) -> None:
    """A new debate gets a random join code; on the rare collision, draw again."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                debate.save()
            return
        except IntegrityError:
            debate.code = new_join_code()
    raise ServiceError(_("Could not find a free join code; try again."), status=503)


def debate_create(*, actor: Any, segments: list[tuple[str, int]] | None = None, **fields: Any) -> Debate:
    """A new draft. Its creator becomes its administrator and a moderator. `segments`: (title, minutes)."""
    if not can_organise(actor):
        raise _forbidden()
    unknown = set(fields) - CREATE_FIELDS
    if unknown:
        raise ValueError(f"unknown debate fields: {sorted(unknown)}")
    debate = Debate(created_by=actor, status=Debate.Status.DRAFT, **fields)
    _clean(debate)
    with transaction.atomic():
        _save_with_fresh_code(debate)
        for role in (DebateRole.Role.ADMIN, DebateRole.Role.MODERATOR):
            DebateRole.objects.create(debate=debate, user=actor, role=role)
        if segments:
            _write_agenda(debate, segments)
        _log(debate, actor, "debate_created", debate, {}, {"title": debate.title})
    return debate


def debate_duplicate(*, debate: Debate, actor: Any) -> Debate:
    """A new draft with the settings and agenda of `debate` (a past one as a template): no questions, polls,
    participants, staff or dates."""
    if not can_organise(actor):
        raise _forbidden()
    require_debate_admin(debate, actor)
    copy = Debate(
        created_by=actor,
        status=Debate.Status.DRAFT,
        title=(_("%(title)s (copy)") % {"title": debate.title})[:200],
        **{f: getattr(debate, f) for f in COPIED_FIELDS},
    )
    with transaction.atomic():
        _save_with_fresh_code(copy)
        for role in (DebateRole.Role.ADMIN, DebateRole.Role.MODERATOR):
            DebateRole.objects.create(debate=copy, user=actor, role=role)
        _write_agenda(copy, [(s.title, s.planned_seconds // 60 or 1) for s in debate.segments.all()])
        _log(copy, actor, "debate_duplicated", copy, {}, {"from": debate.code})
    return copy


def debate_archive(*, debate: Debate, actor: Any, archived: bool = True) -> Debate:
    """Hide a debate from the organiser's dashboard (its pages and report stay where they are)."""
    require_debate_admin(debate, actor)
    with transaction.atomic():
        before = {"archived": debate.archived_at is not None}
        debate.archived_at = timezone.now() if archived else None
        debate.save(update_fields=["archived_at"])
        _log(
            debate,
            actor,
            "debate_archived" if archived else "debate_unarchived",
            debate,
            before,
            {"archived": archived},
        )
    return debate


def debate_delete(*, debate: Debate, actor: Any) -> None:
    """Only a draft can be deleted: once announced, a debate keeps its record (archive it instead)."""
    require_debate_admin(debate, actor)
    with transaction.atomic():
        locked = Debate.objects.select_for_update().get(pk=debate.pk)
        if locked.status != Debate.Status.DRAFT:
            raise ServiceError(_("Only a draft can be deleted; archive this debate instead."), status=409)
        locked.delete()


# --- agenda ------------------------------------------------------------------------------------------------------
MAX_SEGMENT_MINUTES = 24 * 60


def _write_agenda(debate: Debate, segments: list[tuple[str, int]]) -> None:
    for position, (title, minutes) in enumerate(segments):
        AgendaSegment.objects.create(
            debate=debate, position=position, title=title[:200], planned_seconds=int(minutes) * 60
        )


def agenda_replace(*, debate: Debate, actor: Any, segments: list[tuple[str, int]]) -> Debate:
    """Set the agenda of a debate that has not started: (title, minutes) in order. Refused once live (the
    console's clock owns the agenda from then on)."""
    require_debate_admin(debate, actor)
    cleaned = []
    for title, minutes in segments:
        title = (title or "").strip()
        if not title:
            continue
        try:
            minutes = int(minutes)
        except (TypeError, ValueError):
            raise ServiceError(_("A segment's duration is a whole number of minutes.")) from None
        if not 1 <= minutes <= MAX_SEGMENT_MINUTES:
            raise ServiceError(_("A segment lasts between 1 minute and 24 hours."))
        cleaned.append((title, minutes))
    with transaction.atomic():
        locked = Debate.objects.select_for_update().get(pk=debate.pk)
        if locked.status not in (Debate.Status.DRAFT, Debate.Status.SCHEDULED):
            raise ServiceError(_("The agenda of a debate that has started is changed from the console."), status=409)
        before = [(s.title, s.planned_seconds // 60) for s in locked.segments.all()]
        if before == cleaned:
            return locked
        locked.current_segment = None
        locked.save(update_fields=["current_segment"])
        locked.segments.all().delete()
        _write_agenda(locked, cleaned)
        _log(locked, actor, "agenda_changed", locked, {"agenda": before}, {"agenda": cleaned})
        announce(locked.pk, {"status"})
    return locked


# --- staff by invitation -----------------------------------------------------------------------------------------
INVITABLE_ROLES = (DebateRole.Role.MODERATOR, DebateRole.Role.OFFICIAL)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedInvitation:
    """An invitation and its token: the token exists only here, once (the database keeps its hash)."""

    invitation: Invitation
    token: str


def _expiry(days: int | None) -> Any:
    days = Invitation.MAX_AGE_DAYS if days is None else days
    if not 1 <= days <= Invitation.MAX_AGE_DAYS:
        raise ServiceError(_("An invitation is valid for 1 to %(n)d days.") % {"n": Invitation.MAX_AGE_DAYS})
    return timezone.now() + timedelta(days=days)


def invitation_create(
    *, debate: Debate, actor: Any, role: str, title: str = "", note: str = "", email: str = "", days: int | None = None
) -> IssuedInvitation:
    if not can_manage_staff(debate, actor):
        raise _forbidden()
    if role not in INVITABLE_ROLES:
        raise ServiceError(_("Unknown role."))
    token = new_secret_token()
    with transaction.atomic():
        invitation = Invitation.objects.create(
            debate=debate,
            role=role,
            title=(title or "").strip()[:120],
            note=(note or "").strip()[:120],
            email=(email or "").strip()[:254],
            token_hash=_hash(token),
            created_by=actor,
            expires_at=_expiry(days),
        )
        _log(
            debate,
            actor,
            "invitation_created",
            invitation,
            {},
            {"role": role, "title": invitation.title, "for": invitation.note},
        )
    return IssuedInvitation(invitation, token)


def invitation_renew(*, invitation: Invitation, actor: Any) -> IssuedInvitation:
    """Resend: a new link (the old one stops working) valid for another 7 days. Refused once accepted."""
    if not can_manage_staff(invitation.debate, actor):
        raise _forbidden()
    token = new_secret_token()
    with transaction.atomic():
        updated = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).update(
            token_hash=_hash(token), expires_at=_expiry(None), revoked_at=None
        )
        if not updated:
            raise ServiceError(_("This invitation has already been accepted."), status=409)
        invitation.refresh_from_db()
        _log(invitation.debate, actor, "invitation_renewed", invitation)
    return IssuedInvitation(invitation, token)


def invitation_revoke(*, invitation: Invitation, actor: Any) -> Invitation:
    if not can_manage_staff(invitation.debate, actor):
        raise _forbidden()
    with transaction.atomic():
        updated = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if not updated:
            raise ServiceError(_("This invitation is no longer waiting."), status=409)
        invitation.refresh_from_db()
        _log(invitation.debate, actor, "invitation_revoked", invitation)
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link points at, whatever its state (the page says expired, revoked or used)."""
    if not token or len(token) > 100:
        return None
    return Invitation.objects.select_related("debate").filter(token_hash=_hash(token)).first()


def invitation_accept(*, token: str, user: Any) -> DebateRole:
    """Give the invitation's role to `user` (signed in, or just created from the invitation page). Single use: a
    conditional UPDATE marks it accepted, so two tabs opening the same link give the role once."""
    if not getattr(user, "is_authenticated", False):
        raise _forbidden()
    invitation = invitation_for_token(token)
    if invitation is None:
        raise ServiceError(_("This invitation link is not valid."), status=404)
    now = timezone.now()
    with transaction.atomic():
        won = Invitation.objects.filter(
            pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
        ).update(accepted_at=now, accepted_by=user)
        if not won:
            state = invitation.state(now)
            message = {
                "accepted": _("This invitation has already been used."),
                "revoked": _("This invitation has been withdrawn."),
                "expired": _("This invitation has expired: ask the organiser for a new link."),
            }.get(state, _("This invitation link is not valid."))
            raise ServiceError(message, status=410)
        role, created = DebateRole.objects.get_or_create(
            debate=invitation.debate, user=user, role=invitation.role, defaults={"title": invitation.title}
        )
        if not created and invitation.title and role.title != invitation.title:
            role.title = invitation.title
            role.save(update_fields=["title"])
        _log(
            invitation.debate,
            user,
            "invitation_accepted",
            invitation,
            {},
            {"user": user.get_username(), "role": invitation.role},
        )
    return role


def invitation_send_email(*, issued: IssuedInvitation, url: str) -> bool:
    """Send the link to the invitation's address when e-mail is set up (settings.EMAIL_ENABLED). The organiser
    copies the link anyway; a mail failure never loses the invitation."""
    from django.core.mail import send_mail

    invitation = issued.invitation
    if not (getattr(settings, "EMAIL_ENABLED", False) and invitation.email):
        return False
    subject = _("You are invited to “%(title)s”") % {"title": invitation.debate.title}
    body = _(
        "You are invited as %(role)s of the debate “%(title)s”.\n\nOpen this link to accept (valid until "
        "%(expires)s, single use):\n%(url)s\n"
    ) % {
        "role": invitation.get_role_display(),
        "title": invitation.debate.title,
        "url": url,
        "expires": timezone.localtime(invitation.expires_at, invitation.debate.tz).strftime("%Y-%m-%d %H:%M"),
    }
    try:
        send_mail(subject, body, None, [invitation.email])
    except Exception:  # noqa: BLE001 — SMTP down: the organiser still has the link to copy
        return False
    return True


__all__ = [
    "COPIED_FIELDS",
    "IssuedInvitation",
    "agenda_replace",
    "debate_archive",
    "debate_create",
    "debate_delete",
    "debate_duplicate",
    "invitation_accept",
    "invitation_create",
    "invitation_for_token",
    "invitation_renew",
    "invitation_revoke",
    "invitation_send_email",
]
