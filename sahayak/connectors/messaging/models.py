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


class WebhookDelivery(models.Model):
    """A provider's webhook, kept as it arrived (after its signature was checked) until
    the worker has turned it into messages and status reports. The provider's request is
    acknowledged once this row is committed: a crash after that loses nothing (the row
    is processed later), and processing twice stores nothing twice (external ids)."""

    class State(models.TextChoices):
        PENDING = "pending"
        DONE = "done"
        FAILED = "failed"

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="+")
    body = models.BinaryField()
    content_type = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Not before this (a lease while one worker processes it, or the next retry).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state="pending"),
                name="webhook_pending",
            )
        ]

    def __str__(self) -> str:
        return f"webhook {self.pk} of inbox {self.inbox_id} ({self.state})"
