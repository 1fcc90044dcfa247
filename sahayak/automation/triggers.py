"""What starts a rule: an event of the core (event rules) or a moment (time rules).

Each trigger key is what the admin picks and what is stored on the rule; the core's event
kinds map onto them here and nowhere else.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from sahayak.conversations.events import DomainEvent, EventKind
from sahayak.conversations.models import Direction


class On(models.TextChoices):
    CREATED = "created", _("Conversation opened")
    CUSTOMER_MESSAGE = "customer_message", _("Customer wrote")
    AGENT_REPLY = "agent_reply", _("Agent replied")
    STATUS = "status", _("Status changed")
    ASSIGNEE = "assignee", _("Assignee changed")
    TEAM = "team", _("Team changed")
    PRIORITY = "priority", _("Priority changed")
    TAGS = "tags", _("Tags changed")
    FIELDS = "fields", _("Custom fields changed")
    SLA_WARNING = "sla_warning", _("SLA deadline near")
    SLA_BREACHED = "sla_breached", _("SLA deadline missed")
    RATED = "rated", _("Customer rated")


_BY_KIND = {
    EventKind.CREATED: On.CREATED,
    EventKind.MESSAGE_RECEIVED: On.CUSTOMER_MESSAGE,
    EventKind.STATUS: On.STATUS,
    EventKind.ASSIGNEE: On.ASSIGNEE,
    EventKind.TEAM: On.TEAM,
    EventKind.PRIORITY: On.PRIORITY,
    EventKind.TAGS: On.TAGS,
    EventKind.CUSTOM_FIELDS: On.FIELDS,
    EventKind.SLA_WARNING: On.SLA_WARNING,
    EventKind.SLA_BREACHED: On.SLA_BREACHED,
    EventKind.RATED: On.RATED,
}


def trigger_of(event: DomainEvent) -> str | None:
    """The trigger key of a core event, or None when no rule can start on it."""
    if event.kind == EventKind.REPLY_QUEUED:
        message = event.message
        # An agent's own reply; the system's automatic messages start nothing.
        if (
            message is not None
            and message.author_user_id
            and message.direction == Direction.OUTBOUND
        ):
            return On.AGENT_REPLY
        return None
    return _BY_KIND.get(EventKind(event.kind)) if event.kind in _BY_KIND else None


def event_key(event: DomainEvent) -> str:
    """What a run is "once per": the stored event, else the message it announced."""
    if event.row is not None:
        return f"e{event.row.pk}"
    message_id = event.message.pk if event.message is not None else 0
    return f"{event.kind}:{message_id}"


class Anchor(models.TextChoices):
    """What a time rule counts from: a timestamp kept on every conversation (indexed)."""

    CREATED = "created", _("the conversation was opened")
    STATUS_CHANGED = "status_changed", _("its status last changed")
    WAITING = "waiting", _("the customer started waiting for an answer")
    SOLVED = "solved", _("it was solved")


ANCHOR_COLUMNS = {
    Anchor.CREATED: "created_at",
    Anchor.STATUS_CHANGED: "status_changed_at",
    Anchor.WAITING: "waiting_since",
    Anchor.SOLVED: "solved_at",
}
