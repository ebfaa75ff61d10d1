"""Citizens in a debate (no account) and the count of connected browsers over time."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .debates import Debate, new_secret_token


class Participant(models.Model):
    """A citizen's identity in one debate, bound to their browser session (no account)."""

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="participants")
    token = models.CharField(max_length=64, unique=True, default=new_secret_token, editable=False)
    display_name = models.CharField(_("display name"), max_length=60, blank=True)
    muted = models.BooleanField(_("muted"), default=False)
    # Made up by the citizen's browser (random, kept in its storage) and sent with each write, so that a retried
    # first write whose answer (and session cookie) was lost finds the participant it made instead of a second one.
    client_key = models.CharField(max_length=64, null=True, blank=True, editable=False)
    # The keyed hash (debates.codes) of the recovery code this citizen was shown once, to take their participation
    # to another device; a new code replaces it.
    recovery_digest = models.CharField(max_length=64, null=True, blank=True, editable=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        constraints = [
            models.UniqueConstraint(
                fields=["debate", "client_key"],
                condition=Q(client_key__isnull=False),
                name="one_participant_per_client_key",
            ),
        ]

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        return self.display_name or str(_("Anonymous citizen"))


class PresenceSample(models.Model):
    """Connected browsers over time, for the report's chart and its peak."""

    debate = models.ForeignKey(Debate, on_delete=models.CASCADE, related_name="presence_samples")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    connected = models.PositiveIntegerField()

    class Meta:
        ordering = ["at"]
