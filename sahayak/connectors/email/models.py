"""Side conversations: an email thread with a third party (a supplier, another department)
started from a customer's conversation and kept apart from it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SideConversation(models.Model):
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="side_conversations"
    )
    subject = models.CharField(_("subject"), max_length=300)
    # The third parties' email addresses.
    addresses = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["conversation", "-id"], name="side_conversation")]

    def __str__(self) -> str:
        return self.subject


class SideMessage(models.Model):
    side = models.ForeignKey(SideConversation, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=4)  # "in" (from the third party) or "out"
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_address = models.CharField(max_length=320, blank=True)
    text = models.TextField()
    # The mail's Message-ID: a redelivered reply is stored once; replies thread by it.
    external_id = models.CharField(max_length=255, null=True, unique=True)
    # How the sending of an "out" message goes (retries, status, error).
    outbox_item = models.ForeignKey(
        "integrations.OutboxItem", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.direction} {self.pk}"
