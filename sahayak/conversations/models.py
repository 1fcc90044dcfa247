"""Conversations (tickets), their messages, attachments and the event trail.

Nothing here knows a channel's specifics: a channel is a kind string that the channel
port (``channels.py``) maps to a registered connector.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sahayak.accounts.models import Team
from sahayak.contacts.models import Contact

from .fields import SealedConfigField


def _public_key() -> str:
    """Random and URL-safe, never starting with "-" (it is typed on command lines)."""
    key = secrets.token_urlsafe(18)
    while key.startswith("-"):
        key = secrets.token_urlsafe(18)
    return key


class Inbox(models.Model):
    """Where conversations arrive: one configured channel endpoint (a form, a mailbox...)."""

    name = models.CharField(_("name"), max_length=120)
    channel = models.CharField(_("channel"), max_length=32)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="inboxes"
    )
    public_key = models.CharField(max_length=32, unique=True, default=_public_key)
    config = SealedConfigField(default=dict, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "inboxes"

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    ON_HOLD = "on_hold", _("On hold")
    SOLVED = "solved", _("Solved")
    CLOSED = "closed", _("Closed")
    # Likely spam, set aside: not in the open views, never acknowledged; "not spam" reopens.
    SPAM = "spam", _("Spam")


OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD)


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Tag(models.Model):
    name = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return self.name


class Conversation(models.Model):
    """A ticket. Its human number is its id (#1042)."""

    subject = models.CharField(_("subject"), max_length=300, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(max_length=16, choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(_("channel of origin"), max_length=32)
    inbox = models.ForeignKey(Inbox, on_delete=models.PROTECT, related_name="conversations")
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="conversations")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="conversations")
    custom_fields = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=16, blank=True)
    # Channel-specific key that later messages thread on (chat session, SMS sender, ...).
    thread_key = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_message_at = models.DateTimeField(null=True, blank=True)
    # Since when the customer has been waiting for an answer (null: the ball is with them).
    waiting_since = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    # The last reply to the customer failed and none was sent since: shown in the inbox.
    reply_failed = models.BooleanField(default=False)
    solved_at = models.DateTimeField(null=True, blank=True)
    # When the status last changed (time rules: "pending for 3 days").
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Out of the open views (and its SLA clocks paused) until then, or until the customer
    # writes.
    snoozed_until = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_children"
    )
    related = models.ManyToManyField("self", blank=True, symmetrical=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "-id"], name="conv_status_id"),
            models.Index(fields=["assignee", "status", "-id"], name="conv_assignee_status_id"),
            models.Index(fields=["team", "status", "-id"], name="conv_team_status_id"),
            models.Index(fields=["contact", "-id"], name="conv_contact_id"),
            models.Index(fields=["channel", "-id"], name="conv_channel_id"),
            models.Index(fields=["inbox", "thread_key"], name="conv_inbox_thread"),
            # "Oldest waiting first": only conversations waiting on us are in it.
            models.Index(
                fields=["waiting_since", "id"],
                condition=Q(waiting_since__isnull=False),
                name="conv_waiting",
            ),
            # Snoozed conversations, by when they come back.
            models.Index(
                fields=["snoozed_until"],
                condition=Q(snoozed_until__isnull=False),
                name="conv_snoozed",
            ),
            # Time rules sweep conversations by when something happened (automation.timers).
            models.Index(fields=["status_changed_at", "id"], name="conv_status_changed"),
            models.Index(fields=["created_at", "id"], name="conv_created"),
            models.Index(
                fields=["solved_at", "id"], condition=Q(solved_at__isnull=False), name="conv_solved"
            ),
            # "Reply failed": the few conversations whose last reply did not arrive.
            models.Index(fields=["-id"], condition=Q(reply_failed=True), name="conv_reply_failed"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def number(self) -> int:
        return self.pk


class Direction(models.TextChoices):
    INBOUND = "in", _("From customer")
    OUTBOUND = "out", _("To customer")
    NOTE = "note", _("Internal note")


class DeliveryStatus(models.TextChoices):
    NONE = "", _("Not applicable")
    PENDING = "pending", _("Queued")
    SENDING = "sending", _("Sending")
    RETRYING = "retrying", _("Retrying")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    READ = "read", _("Read")
    FAILED = "failed", _("Failed")


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(max_length=4, choices=Direction.choices)
    channel = models.CharField(max_length=32)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    author_contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    text = models.TextField(blank=True)
    html = models.TextField(blank=True, help_text="Sanitized HTML")
    external_id = models.CharField(max_length=255, null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the sender wrote it (an email's Date, a provider's timestamp), if that is
    # plausible; the timeline is in this order, so a mail delayed in transit sits where
    # it belongs. Arrival (created_at) is what every metric counts.
    written_at = models.DateTimeField(null=True, blank=True)
    delivery_status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.NONE, blank=True
    )
    delivery_error = models.TextField(blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # The idempotency key of inbound delivery: a channel's message is stored once.
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=Q(external_id__isnull=False),
                name="message_channel_external_id_uniq",
            )
        ]
        indexes = [
            models.Index(fields=["conversation", "id"], name="msg_conversation_id"),
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(delivery_status__in=["pending", "retrying", "sending"]),
                name="msg_delivery_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} #{self.pk}"


class EarlyReport(models.Model):
    """A provider's status report that arrived before the send call that it is about had
    returned the provider's message id; applied when the id is recorded."""

    channel = models.CharField(max_length=32)
    external_id = models.CharField(max_length=255)
    status = models.CharField(max_length=12)
    reason = models.TextField(blank=True)
    code = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["channel", "external_id"], name="early_report_key")]

    def __str__(self) -> str:
        return f"{self.status} report for {self.channel} {self.external_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.sha256[:2]}/{instance.sha256}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=127)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    # An inline part of an HTML body (an email's ``cid:`` image) rather than a file to list.
    content_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.filename


class ThreadReference(models.Model):
    """An id a message referred to (an email's In-Reply-To/References, an Outlook thread).

    Kept so that a parent delivered after its reply still finds the reply's conversation,
    and two replies to a message we never saw end up together.
    """

    channel = models.CharField(max_length=32)
    ref = models.CharField(max_length=255)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="thread_references"
    )
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["channel", "ref"], name="threadref_channel_ref")]

    def __str__(self) -> str:
        return f"{self.ref} -> #{self.conversation_id}"


class Event(models.Model):
    """Every change to a conversation: who did what, when, from and to."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    kind = models.CharField(max_length=40)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["conversation", "id"], name="event_conversation_id"),
            # Reports and time-based rules read events of a kind over a period.
            models.Index(fields=["kind", "created_at"], name="event_kind_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on #{self.conversation_id}"


class ConversationMerge(models.Model):
    source = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    moved_message_ids = models.JSONField(default=list)
    source_status = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"conversation #{self.source_id} -> #{self.target_id}"


class Signature(models.Model):
    """Text put under an email reply: an agent's own, then the mailbox's; one per language
    (``locale`` "" is for any language without its own)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="signatures",
    )
    inbox = models.ForeignKey(
        Inbox, null=True, blank=True, on_delete=models.CASCADE, related_name="signatures"
    )
    locale = models.CharField(max_length=16, blank=True)
    text = models.TextField(max_length=2000)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "locale"], condition=Q(inbox__isnull=True), name="signature_user"
            ),
            models.UniqueConstraint(
                fields=["inbox", "locale"], condition=Q(user__isnull=True), name="signature_inbox"
            ),
        ]

    def __str__(self) -> str:
        return f"signature {self.locale or '*'}"
