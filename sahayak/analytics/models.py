"""Facts the reports read: narrow rows computed from each conversation's log.

A conversation is replayed (messages, status and assignee changes) into *cycles* (opening
or reopening to solving), *responses* (an agent answering a waiting customer) and *SLA
results*. They are computed again whenever the conversation changes (``facts.refresh``),
so a report is a scan of a few narrow rows per conversation in the period, never of every
event. What each column means is written in ``docs/metrics.md``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from sahayak.conversations.models import Conversation


class Dimensions(models.Model):
    """What a report filters and groups by, copied onto each fact (no join per row)."""

    inbox_id = models.IntegerField()
    team_id = models.IntegerField(null=True)
    agent_id = models.IntegerField(null=True)
    channel = models.CharField(max_length=32)
    language = models.CharField(max_length=16, blank=True)

    class Meta:
        abstract = True


class Cycle(Dimensions):
    """One working cycle: from opening (or reopening) until solved; ``agent_id`` is the
    assignee when it was solved (or now, while it runs)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveSmallIntegerField()
    contact_id = models.BigIntegerField()
    opened_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True)
    first_response_s = models.BigIntegerField(null=True)
    first_response_bs = models.BigIntegerField(null=True)
    solved_at = models.DateTimeField(null=True)
    resolution_s = models.BigIntegerField(null=True)
    resolution_bs = models.BigIntegerField(null=True)
    replies = models.PositiveIntegerField(default=0)
    handle_s = models.PositiveIntegerField(default=0)
    # Solved, then opened again (the next cycle is the reopening).
    reopened = models.BooleanField(default=False)
    # The customer's rating of this cycle's solution (the last, if changed).
    csat = models.PositiveSmallIntegerField(null=True)
    # Seconds from the solve until the same customer opened another conversation (or
    # reopened this one); null: not (yet) back. Kept current when they come back.
    returned_s = models.BigIntegerField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "number"], name="cycle_once")
        ]
        indexes = [
            models.Index(fields=["opened_at", "id"], name="cycle_opened"),
            models.Index(
                fields=["solved_at"], condition=Q(solved_at__isnull=False), name="cycle_solved"
            ),
            models.Index(fields=["contact_id", "opened_at"], name="cycle_contact"),
        ]

    def __str__(self) -> str:
        return f"cycle {self.number} of #{self.conversation_id}"


class Response(Dimensions):
    """An agent's reply that ended a customer's wait (the first of a cycle, or a next one)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    cycle = models.PositiveSmallIntegerField()
    is_first = models.BooleanField()
    responded_at = models.DateTimeField()
    wait_s = models.BigIntegerField()
    wait_bs = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["responded_at"], name="response_at")]

    def __str__(self) -> str:
        return f"response at {self.responded_at} in #{self.conversation_id}"


class SlaResult(Dimensions):
    """A stopped SLA clock: met or missed, counted when it stopped."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(max_length=20)
    stopped_at = models.DateTimeField()
    met = models.BooleanField()

    class Meta:
        indexes = [models.Index(fields=["stopped_at"], name="slaresult_at")]

    def __str__(self) -> str:
        return f"{self.metric} {'met' if self.met else 'missed'} in #{self.conversation_id}"


class HandleSpan(models.Model):
    """Time an agent spent on a conversation's page with it focused (sent by the page)."""

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField()
    seconds = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["conversation", "started_at"], name="handle_conv")]

    def __str__(self) -> str:
        return f"{self.seconds} s on #{self.conversation_id}"


class Watermark(models.Model):
    """How far the fact refresher has read an append-only table (by id)."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} at {self.value}"
