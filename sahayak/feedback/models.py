"""CSAT and NPS surveys: what was asked of whom, on which channel, and what they answered."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from sahayak.contacts.models import Contact
from sahayak.conversations.models import Conversation, Inbox, Message


class Kind(models.TextChoices):
    CSAT = "csat", _("Satisfaction (CSAT)")
    NPS = "nps", _("Net Promoter Score (NPS)")


class State(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Not sent")
    ANSWERED = "answered", _("Answered")


class SurveySettings(models.Model):
    """An inbox's CSAT survey: whether it is sent when a conversation is solved, and when."""

    inbox = models.OneToOneField(Inbox, on_delete=models.CASCADE, related_name="survey_settings")
    enabled = models.BooleanField(_("ask for a rating when a conversation is solved"), default=True)
    delay_minutes = models.PositiveIntegerField(_("minutes to wait after solving"), default=0)
    once_per_days = models.PositiveIntegerField(
        _("at most one survey per customer in this many days"), default=7
    )
    skip_tag = models.CharField(
        _("never for conversations with this tag"), max_length=64, default="no-survey", blank=True
    )

    def __str__(self) -> str:
        return f"Surveys of {self.inbox}"


class Campaign(models.Model):
    """A relationship (NPS) survey to a segment of customers, sent at a limited rate."""

    name = models.CharField(_("name"), max_length=120)
    # Only customers with an order in this many days (empty: every customer with an email).
    ordered_within_days = models.PositiveIntegerField(
        _("customers with an order in the last N days"), null=True, blank=True
    )
    per_hour = models.PositiveIntegerField(_("send at most this many per hour"), default=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class Survey(models.Model):
    """One question to one customer; the answer may be changed while it is open."""

    kind = models.CharField(max_length=8, choices=Kind.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="surveys")
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="surveys"
    )
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="surveys"
    )
    channel = models.CharField(max_length=32, blank=True)
    language = models.CharField(max_length=16, blank=True)
    address = models.CharField(max_length=255, blank=True)  # NPS: the email it goes to
    due_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    skip_reason = models.CharField(max_length=40, blank=True)
    # Answers are taken (and may be changed) until then.
    open_until = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Copied from the conversation so reports filter without a join.
    inbox_id = models.IntegerField(null=True)
    team_id = models.IntegerField(null=True)
    agent_id = models.IntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["due_at", "id"], condition=Q(state="pending"), name="survey_due"),
            models.Index(fields=["contact", "kind", "sent_at"], name="survey_contact"),
            models.Index(
                fields=["kind", "answered_at"],
                condition=Q(answered_at__isnull=False),
                name="survey_answered",
            ),
        ]
        constraints = [
            # One CSAT survey per conversation solve: the moment it was solved is the key.
            models.UniqueConstraint(
                fields=["conversation", "due_at"],
                condition=Q(kind="csat"),
                name="survey_once_per_solve",
            ),
            models.UniqueConstraint(
                fields=["campaign", "contact"],
                condition=Q(campaign__isnull=False),
                name="survey_once_per_campaign",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} survey {self.pk}"
