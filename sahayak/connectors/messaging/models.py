from django.db import models

from sahayak.conversations.models import Inbox


class ChannelHealth(models.Model):
    """The health line of a messaging inbox: when it last heard from its provider, when it
    last sent, and the last thing that went wrong (kept until something works again)."""

    inbox = models.OneToOneField(Inbox, on_delete=models.CASCADE, related_name="health")
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_check_at = models.DateTimeField(null=True, blank=True)
    last_check_ok = models.BooleanField(null=True)

    def __str__(self) -> str:
        return f"health of inbox {self.inbox_id}"
