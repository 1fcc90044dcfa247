"""Domain events -> live updates for every open agent browser.

Events carry ids and the conversation's team and assignee, never content: each consumer
decides whether its agent may see the conversation, and the browser fetches what it shows
through the ordinary permission-checked views.
"""

from __future__ import annotations

from typing import Any

from sahayak.conversations import events
from sahayak.conversations.events import DELIVERY_KINDS, MESSAGE_KINDS, DomainEvent, EventKind
from sahayak.conversations.models import Conversation, Message

from . import groups
from .publish import group_send


def conversation_event(
    kind: str, conversation: Conversation, message: Message | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "conversation.event",
        "kind": kind,
        "conversation_id": conversation.pk,
        "team_id": conversation.team_id,
        "assignee_id": conversation.assignee_id,
        "message_id": message.pk if message else None,
        "direction": message.direction if message else None,
        **extra,
    }


def _websocket_kind(event: DomainEvent) -> str:
    """What the browser does: fetch new messages, one message's status, or the side panel."""
    if event.kind == EventKind.MESSAGE_RECEIVED:
        return "new" if event.data.get("created_conversation") else "message"
    if event.kind in MESSAGE_KINDS:
        return "message"
    if event.kind in DELIVERY_KINDS:
        return "delivery"
    return "updated"


def _on_event(event: DomainEvent, **_: Any) -> None:
    kind = _websocket_kind(event)
    extra = {"fields": [str(event.kind)]} if kind == "updated" else {}
    group_send(groups.AGENTS, conversation_event(kind, event.conversation, event.message, **extra))


def connect() -> None:
    events.conversation_event.connect(_on_event, dispatch_uid="realtime-events")
