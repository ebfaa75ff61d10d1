"""Who runs a debate: roles, invitations, the moderation log, notes to officials and staff session epochs."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .debates import Debate


class DebateRole(models.Model):
    class Role(models.TextChoices):
        MODERATOR = "moderator", _("Moderator")
        OFFICIAL = "official", _("Official")
        # The debate's organiser: edits it, invites and removes staff, deletes a draft (its creator gets it).
        ADMIN = "admin", _("Debate administrator")

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="debate_roles")
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    title = models.CharField(_("public title"), max_length=120, blank=True, help_text=_("e.g. Mayor of Lyon"))

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [models.UniqueConstraint(fields=["debate", "user", "role"], name="one_role_per_user")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.debate.code}"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


class Invitation(models.Model):
    """A single-use link that gives a role on a debate to whoever opens it signed in (or creates an account).

    Only a SHA-256 of the token is stored: the link is shown once to the organiser, and a leaked database does not
    hand out roles. Never matched against an e-mail address: the link itself is the proof.
    """

    MAX_AGE_DAYS = 7

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(_("role"), max_length=12, choices=DebateRole.Role.choices)
    title = models.CharField(_("public title"), max_length=120, blank=True, help_text=_("e.g. Mayor of Nanterre"))
    note = models.CharField(_("for"), max_length=120, blank=True, help_text=_("Who it is for (only you see it)."))
    email = models.EmailField(_("e-mail (optional)"), blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.get_role_display()} — {self.debate.code} — {self.note or self.title}"

    def state(self, now: datetime | None = None) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if (now or timezone.now()) >= self.expires_at:
            return "expired"
        return "pending"

    def state_label(self) -> str:
        labels = {"accepted": _("Accepted"), "revoked": _("Revoked"), "expired": _("Expired"), "pending": _("Waiting")}
        return str(labels[self.state()])


class ModerationLog(models.Model):
    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="log")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("action"), max_length=40)
    object_type = models.CharField(_("object type"), max_length=40)
    object_id = models.PositiveBigIntegerField(_("object id"), null=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("moderation log entry")
        verbose_name_plural = _("moderation log")

    def __str__(self) -> str:
        return f"{self.created_at:%H:%M:%S} {self.actor} {self.action} {self.object_type}#{self.object_id}"


class StaffNote(models.Model):
    """A moderator's short private note to the officials on stage ("two minutes left", "next: the tram question").
    Staff only: rendered for the console and the official view, never for citizens or the screen."""

    MAX_LENGTH = 140

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="staff_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.CharField(_("note"), max_length=MAX_LENGTH)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("note to officials")
        verbose_name_plural = _("notes to officials")

    def __str__(self) -> str:
        return self.text


class StaffSessionEpoch(models.Model):
    """A staff account's session epoch: incremented to revoke every session it signed in before (staff_sessions)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+")
    epoch = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("staff session epoch")
