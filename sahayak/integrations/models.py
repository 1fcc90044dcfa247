"""The outbox: calls to other systems (webhooks, notification mail) kept until delivered."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class OutboxKind(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook")
    EMAIL = "email", _("Email")


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboxItem(models.Model):
    kind = models.CharField(max_length=16, choices=OutboxKind.choices)
    # A URL (webhook) or an address (email).
    target = models.CharField(max_length=2000)
    # Webhook: {"body": JSON text, "secret": sealed secret}; email: {"subject", "text"}.
    payload = models.JSONField(default=dict)
    # What asked for it ("rule:3"), shown in the delivery log.
    source = models.CharField(max_length=64, blank=True)
    conversation = models.ForeignKey(
        "conversations.Conversation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The same call asked for twice (a retried rule run) is kept once.
    key = models.CharField(max_length=120, null=True, blank=True, unique=True)
    status = models.CharField(
        max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # Due time while pending; the lease's end while sending.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    # One line per attempt: when, and what came of it.
    log = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="outbox_due",
            ),
            models.Index(fields=["source", "-id"], name="outbox_source"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.target} ({self.status})"
