"""What an agent is told about: mentions in internal notes, assignments, SLA deadlines,
automation rules."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    MENTION = "mention", _("Mentioned you")
    ASSIGNED = "assigned", _("Assigned to you")
    SLA_WARNING = "sla_warning", _("SLA deadline near")
    SLA_BREACHED = "sla_breached", _("SLA deadline missed")
    RULE = "rule", _("Automation rule")
    CUSTOMER_REPLY = "customer_reply", _("The customer replied")


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    message = models.ForeignKey(
        "conversations.Message", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # What an automation rule had to say ("a VIP customer is waiting").
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["recipient", "-id"], name="notif_recipient_id"),
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notif_unread"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "message", "kind"], name="notif_once_per_message"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id} on #{self.conversation_id}"
