"""Routing settings and state: agents' presence and capacity, assignment policies,
business calendars, SLA policies and each conversation's SLA clocks."""

from __future__ import annotations

from datetime import date, time

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sahayak.accounts.models import Team
from sahayak.conversations.models import Conversation, Inbox

from .calendars import BusinessCalendar, shared


class Presence(models.TextChoices):
    ONLINE = "online", _("Online")
    AWAY = "away", _("Away")
    OFFLINE = "offline", _("Offline")


class AgentRouting(models.Model):
    """How an agent takes work: presence, capacity per channel kind, skills, languages."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="routing"
    )
    # What the agent chose: available (online while the workspace is open) or away.
    away = models.BooleanField(_("away"), default=False)
    # What routing sees: the agent's choice and the workspace heartbeat together.
    presence = models.CharField(max_length=8, choices=Presence.choices, default=Presence.OFFLINE)
    presence_since = models.DateTimeField(default=timezone.now)
    # channel kind -> most open conversations at once; "*" for every other kind.
    capacity = models.JSONField(_("capacity"), default=dict, blank=True)
    skills = models.JSONField(_("skills"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    backup = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="backing_up",
        verbose_name=_("backup while absent"),
    )
    # Round robin: the agent given work least recently is next.
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"routing of {self.user_id}"


class Calendar(models.Model):
    """Business hours of a region: a time zone, weekly intervals and holidays."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    # "0".."6" (Monday = 0) -> [["09:00", "17:00"], ...]; an end not after its start runs
    # past midnight.
    weekly = models.JSONField(_("weekly hours"), default=dict, blank=True)
    # Out-of-office reply while closed: the built-in text in the customer's language, or the
    # calendar's own per language ("*" for any other).
    away_reply = models.BooleanField(_("send an out-of-office reply while closed"), default=False)
    away_messages = models.JSONField(_("out-of-office replies"), default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name

    def business_calendar(self, holidays: list[Holiday] | None = None) -> BusinessCalendar:
        rows = list(self.holidays.all()) if holidays is None else holidays
        weekly = {
            int(day): tuple(
                (time.fromisoformat(start), time.fromisoformat(end)) for start, end in spans
            )
            for day, spans in self.weekly.items()
        }
        return shared(
            BusinessCalendar(
                time_zone=self.time_zone,
                weekly=weekly,
                holidays=frozenset(h.day for h in rows if not h.yearly),
                yearly_holidays=frozenset((h.day.month, h.day.day) for h in rows if h.yearly),
            )
        )


class Holiday(models.Model):
    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holidays")
    day = models.DateField(_("date"))
    yearly = models.BooleanField(_("every year"), default=False)
    name = models.CharField(_("name"), max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["calendar", "day", "yearly"], name="holiday_once")
        ]
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.name or _('Holiday')} {date.isoformat(self.day)}"


class Policy(models.TextChoices):
    MANUAL = "manual", _("Manual")
    ROUND_ROBIN = "round_robin", _("Round robin")
    LEAST_LOADED = "least_loaded", _("Least loaded")


class QueueOrder(models.TextChoices):
    OLDEST = "oldest", _("Longest waiting first")
    PRIORITY = "priority", _("Highest priority, then longest waiting")


class RoutingPolicy(models.Model):
    """How an inbox's (or a team's) conversations are handed out; the inbox's policy wins."""

    inbox = models.OneToOneField(
        Inbox, null=True, blank=True, on_delete=models.CASCADE, related_name="routing"
    )
    team = models.OneToOneField(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="routing"
    )
    policy = models.CharField(
        _("assignment"), max_length=16, choices=Policy.choices, default=Policy.MANUAL
    )
    order = models.CharField(
        _("queue order"), max_length=16, choices=QueueOrder.choices, default=QueueOrder.OLDEST
    )
    calendar = models.ForeignKey(
        Calendar,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="policies",
        verbose_name=_("business hours"),
    )
    skills = models.JSONField(_("required skills"), default=list, blank=True)
    # How long a conversation waits for an agent speaking its language before anyone may take it.
    language_wait_seconds = models.PositiveIntegerField(
        _("wait for a matching language"), default=120
    )
    # An agent away or offline this long gives their conversations back to the queue.
    return_after_minutes = models.PositiveIntegerField(
        _("return work after absence of"), default=15
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(inbox__isnull=False, team__isnull=True)
                | Q(inbox__isnull=True, team__isnull=False),
                name="routing_policy_inbox_or_team",
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy} for {self.inbox or self.team}"

    @property
    def automatic(self) -> bool:
        return self.policy != Policy.MANUAL


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    NEXT_RESPONSE = "next_response", _("Next response")
    PERIODIC_UPDATE = "periodic_update", _("Periodic update")
    RESOLUTION = "resolution", _("Resolution")


class SlaPolicy(models.Model):
    """Targets for conversations matching ``conditions``; the first matching policy applies."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    # {"channel": [...], "inbox": [ids], "team": [ids], "priority": [...], "tag": [...],
    #  "organization": [ids], "custom_field": {"name": "value"}}; empty matches everything.
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    first_response_minutes = models.PositiveIntegerField(_("first response"), null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(_("next response"), null=True, blank=True)
    periodic_update_minutes = models.PositiveIntegerField(
        _("periodic update"), null=True, blank=True
    )
    resolution_minutes = models.PositiveIntegerField(_("resolution"), null=True, blank=True)
    business_hours = models.BooleanField(_("count business hours only"), default=True)
    calendar = models.ForeignKey(
        Calendar,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sla_policies",
        verbose_name=_("business hours"),
    )
    warn_minutes = models.PositiveIntegerField(_("warn this many minutes before"), default=30)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class ConversationSla(models.Model):
    """The clocks of one conversation as last computed from its event log.

    What is kept is the plan (when each clock ran, the same for every calendar) and what
    the inbox and the watcher read (the next deadline, when to look again). The clocks as
    shown are the plan measured on the calendar (``deadlines.clocks_of``): a calendar
    edit rewrites only these narrow rows.
    """

    conversation = models.OneToOneField(
        Conversation, on_delete=models.CASCADE, primary_key=True, related_name="sla"
    )
    policy = models.ForeignKey(SlaPolicy, null=True, on_delete=models.SET_NULL, related_name="+")
    # The clocks before any calendar (``sla.Plan``: when each ran), so a change of business
    # hours is measured again without reading the event log. Null: no policy applies.
    plan = models.JSONField(null=True, blank=True)
    # The earliest due time of a running clock, and its metric: the inbox sorts on it.
    next_due = models.DateTimeField(null=True, blank=True)
    next_metric = models.CharField(max_length=20, blank=True)
    # Warnings and breaches already announced ("warning:metric@due", "breach:metric@due").
    announced = models.JSONField(default=list, blank=True)
    # When the watcher next has something to announce (a warning or a breach is due).
    watch_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_due", "conversation"],
                condition=Q(next_due__isnull=False),
                name="sla_next_due",
            ),
            models.Index(
                fields=["watch_at"], condition=Q(watch_at__isnull=False), name="sla_watch_at"
            ),
        ]

    def __str__(self) -> str:
        return f"SLA of #{self.conversation_id}"
