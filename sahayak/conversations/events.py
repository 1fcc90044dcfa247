"""Typed domain events: every change to a conversation is recorded and announced here.

``record()`` is the one way a change becomes known: it writes the ``Event`` row (kind,
actor, old -> new) in the caller's transaction and sends ``conversation_event`` once that
transaction has committed (never for a rollback). Routing, SLAs, automation, surveys,
analytics, notifications, webhooks and indexing listen to that one signal; the core calls
none of them.

Messages are their own record: a received message, a queued reply or a note is announced
(``persist=False``) but not written twice; delivery outcomes (sent, failed, a report from
the far end) are recorded, since they change what the conversation is waiting for.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

from . import writebehind

if TYPE_CHECKING:
    from sahayak.accounts.models import User

    from .models import Conversation, Event, Message


class EventKind(models.TextChoices):
    CREATED = "created", _("Conversation opened")
    MESSAGE_RECEIVED = "message_received", _("Customer wrote")
    REPLY_QUEUED = "reply_queued", _("Reply written")
    NOTE_ADDED = "note_added", _("Internal note")
    REPLY_SENT = "reply_sent", _("Reply sent")
    REPLY_FAILED = "reply_failed", _("Reply failed")
    REPLY_RETRIED = "reply_retried", _("Reply sent again")
    DELIVERY_STATUS = "delivery_status", _("Delivery status")
    DELIVERY_REPORT = "delivery_report", _("Delivery report")
    STATUS = "status", _("Status")
    PRIORITY = "priority", _("Priority")
    ASSIGNEE = "assignee", _("Assignee")
    TEAM = "team", _("Team")
    TAGS = "tags", _("Tags")
    CUSTOM_FIELDS = "custom_fields", _("Custom fields")
    MERGED_INTO = "merged_into", _("Merged into another conversation")
    MERGED_FROM = "merged_from", _("Another conversation merged in")
    MERGE_UNDONE = "merge_undone", _("Merge undone")
    LINKED = "linked", _("Linked")
    UNLINKED = "unlinked", _("Unlinked")
    CONTACT_CHANGED = "contact_changed", _("Customer merged")
    SNOOZED = "snoozed", _("Snoozed")
    WOKEN = "woken", _("Back from snooze")
    SLA_WARNING = "sla_warning", _("SLA deadline near")
    SLA_BREACHED = "sla_breached", _("SLA deadline missed")
    RULE_RAN = "rule_ran", _("Automation rule ran")
    RATED = "rated", _("Customer rated")


# Kinds whose record is the message itself (announced, not written as an Event row).
MESSAGE_KINDS = frozenset(
    {EventKind.MESSAGE_RECEIVED, EventKind.REPLY_QUEUED, EventKind.NOTE_ADDED}
)
DELIVERY_KINDS = frozenset(
    {
        EventKind.REPLY_SENT,
        EventKind.REPLY_FAILED,
        EventKind.DELIVERY_STATUS,
        EventKind.DELIVERY_REPORT,
    }
)


@dataclass(frozen=True)
class DomainEvent:
    """What listeners receive (``conversation_event``'s ``event`` argument)."""

    kind: EventKind
    conversation: Conversation
    actor: User | None = None
    old: Any = None
    new: Any = None
    message: Message | None = None
    data: dict[str, Any] = field(default_factory=dict)
    # The stored row (None for announced-only kinds).
    row: Event | None = None
    # The reactions that led to this change, outermost first (e.g. ``("rule:3",)`` for a
    # change an automation rule made): how reactions to reactions know how deep they are.
    cause: tuple[str, ...] = ()


logger = logging.getLogger(__name__)

# kwargs: event (DomainEvent)
conversation_event = Signal()
# The events of one commit together (``events``: a list, in order), before each is sent on
# ``conversation_event``: for listeners that do one piece of work for many (the search
# index writes a burst's messages in one statement).
events_committed = Signal()

_cause: ContextVar[tuple[str, ...]] = ContextVar("event_cause", default=())


@contextmanager
def caused_by(*chain: str) -> Iterator[tuple[str, ...]]:
    """Changes recorded inside this block carry ``chain`` as their cause (stored on the
    Event row too, so the activity list can say a rule did it). A reaction to an event
    passes the event's own cause plus its label: that is how the chain grows across the
    after-commit announcements, where no outer block is active any more."""
    token = _cause.set(tuple(chain))
    try:
        yield tuple(chain)
    finally:
        _cause.reset(token)


def record(
    kind: EventKind,
    conversation: Conversation,
    *,
    actor: User | None = None,
    old: Any = None,
    new: Any = None,
    message: Message | None = None,
    persist: bool = True,
    **data: Any,
) -> DomainEvent:
    """Write the Event row (unless ``persist`` is False) and announce it after commit."""
    from .models import Event

    row = None
    cause = _cause.get()
    if persist:
        pending = writebehind.current()
        if pending is not None and message is not None and message.pk is None:
            pending.flush()  # the row names the message by its key
        stored: dict[str, Any] = {"from": old, "to": new} if (old, new) != (None, None) else {}
        if message is not None:
            stored["message"] = message.pk
        if cause:
            stored["cause"] = list(cause)
        row = Event(conversation=conversation, actor=actor, kind=kind, data={**stored, **data})
        if pending is not None:
            pending.add(row)  # inserted with the burst's other rows before its commit
        else:
            row.save(force_insert=True)
    event = DomainEvent(kind, conversation, actor, old, new, message, data, row, cause)
    transaction.on_commit(lambda: _after_commit(event))
    return event


_held: ContextVar[list[DomainEvent] | None] = ContextVar("held_events", default=None)


@contextmanager
def held() -> Iterator[list[DomainEvent]]:
    """Events committed inside this block are kept in the list it gives instead of being
    announced, for the caller to ``announce`` once it has answered its client: a chat
    visitor's message is acknowledged as soon as it is stored, and routing, rules and live
    updates follow. They still come only after the commit, and in their order."""
    events: list[DomainEvent] = []
    token = _held.set(events)
    try:
        yield events
    finally:
        _held.reset(token)


def announce(events: list[DomainEvent]) -> None:
    """Tell the listeners of committed ``events``: first all of them at once, then each."""
    if not events:
        return
    for receiver, result in events_committed.send_robust(sender=EventKind, events=events):
        if isinstance(result, Exception):
            logger.error("listener %r failed on %d events", receiver, len(events), exc_info=result)
    for event in events:
        _announce(event)


def _after_commit(event: DomainEvent) -> None:
    holding = _held.get()
    if holding is not None:
        holding.append(event)
    else:
        announce([event])


def _announce(event: DomainEvent) -> None:
    """Every listener hears the event; one that fails is logged and does not stop the rest."""
    for receiver, result in conversation_event.send_robust(sender=EventKind, event=event):
        if isinstance(result, Exception):
            logger.error(
                "listener %r failed on %s of conversation %s",
                receiver,
                event.kind,
                event.conversation.pk,
                exc_info=result,
            )
