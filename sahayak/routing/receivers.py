"""Routing listens to the core's typed events: assignment and SLA clocks react to changes.

Nothing in the core calls routing. After a conversation changes (and the change has
committed), its SLA clocks are computed again, and the queue is handed out when capacity
may have freed or work arrived.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from sahayak.conversations.events import (
    DomainEvent,
    EventKind,
    conversation_event,
    events_committed,
)
from sahayak.conversations.models import Status

from . import assignment, away, deadlines, presence
from .models import AgentRouting, Calendar, Holiday, RoutingPolicy, SlaPolicy
from .tasks import recompute_everything

logger = logging.getLogger(__name__)

# Changes that can alter an SLA's policy or clocks.
SLA_KINDS = frozenset(
    {
        EventKind.CREATED,
        EventKind.MESSAGE_RECEIVED,
        EventKind.REPLY_SENT,
        EventKind.STATUS,
        EventKind.PRIORITY,
        EventKind.TEAM,
        EventKind.TAGS,
        EventKind.CUSTOM_FIELDS,
        EventKind.MERGED_INTO,
        EventKind.MERGE_UNDONE,
        EventKind.CONTACT_CHANGED,
        EventKind.SNOOZED,
        EventKind.WOKEN,
    }
)
# Changes after which someone may take queued work (or work joins the queue).
QUEUE_KINDS = frozenset(
    {
        EventKind.CREATED,
        EventKind.STATUS,
        EventKind.ASSIGNEE,
        EventKind.TEAM,
        EventKind.MERGED_INTO,
        EventKind.MERGE_UNDONE,
        EventKind.WOKEN,
    }
)
REOPENED_FROM = frozenset({Status.SOLVED, Status.CLOSED, Status.PENDING, Status.ON_HOLD})


def _changes_clocks(event: DomainEvent) -> bool:
    """Whether the event can move an SLA clock. The message that opened a conversation
    does not need its own pass: ``created``, announced from the same commit just before
    it, computed the clocks with that message already stored."""
    if event.kind == EventKind.MESSAGE_RECEIVED and event.data.get("created_conversation"):
        return False
    return event.kind in SLA_KINDS


def on_events(events: list[DomainEvent], **_: Any) -> None:
    """SLA clocks, once per conversation for the events of one commit (a conversation
    opened with its priority and tags is measured once, a burst of mail in one pass)."""
    changed = list(dict.fromkeys(e.conversation.pk for e in events if _changes_clocks(e)))
    if changed and deadlines.any_policy():
        deadlines.recompute(changed)


def on_event(event: DomainEvent, **_: Any) -> None:
    conversation = event.conversation
    if event.kind == EventKind.MESSAGE_RECEIVED and event.message is not None:
        away.reply_if_closed(conversation, event.message)
    if event.kind == EventKind.ASSIGNEE and event.data.get("routing"):
        return  # routing's own hand-out: nothing more to do
    if (
        event.kind == EventKind.STATUS
        and event.old in REOPENED_FROM
        and event.new
        in (
            Status.NEW,
            Status.OPEN,
        )
    ):
        with transaction.atomic():
            presence.unassign_if_absent(conversation)
    if event.kind in QUEUE_KINDS:
        assignment.hand_out()


def _policies_changed(sender: Any, **_: Any) -> None:
    """SLA policies changed: recompute open conversations from their logs, in the background."""
    transaction.on_commit(lambda: recompute_everything(True))


def _hours_changed(sender: Any, **_: Any) -> None:
    """Business hours changed: measure open conversations' clocks again, in the background."""
    transaction.on_commit(lambda: recompute_everything(False))


def _routing_changed(sender: Any, **_: Any) -> None:
    """Capacity, presence or a policy changed: queued work may find an agent."""
    transaction.on_commit(assignment.hand_out)


def connect() -> None:
    events_committed.connect(on_events, dispatch_uid="routing-clocks")
    conversation_event.connect(on_event, dispatch_uid="routing")
    for model, receiver in ((Calendar, _hours_changed), (Holiday, _hours_changed)):
        post_save.connect(receiver, sender=model, dispatch_uid=f"sla-{model.__name__}")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"sla-d-{model.__name__}")
    post_save.connect(_policies_changed, sender=SlaPolicy, dispatch_uid="sla-SlaPolicy")
    post_delete.connect(_policies_changed, sender=SlaPolicy, dispatch_uid="sla-d-SlaPolicy")
    # A routing policy says which calendar an inbox or team keeps.
    post_save.connect(_hours_changed, sender=RoutingPolicy, dispatch_uid="sla-routing-policy")
    post_save.connect(_routing_changed, sender=AgentRouting, dispatch_uid="queue-agent")
    post_save.connect(_routing_changed, sender=RoutingPolicy, dispatch_uid="queue-policy")
