"""Domain events -> live updates for every open agent browser.

Events carry ids and the conversation's team and assignee, never content: each consumer
decides whether its agent may see the conversation, and the browser fetches what it shows
through the ordinary permission-checked views.
"""

from __future__ import annotations

from typing import Any

from sahayak.conversations import signals
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


def _received(
    conversation: Conversation, message: Message, created_conversation: bool = False, **_: Any
) -> None:
    kind = "new" if created_conversation else "message"
    group_send(groups.AGENTS, conversation_event(kind, conversation, message))


def _created(conversation: Conversation, message: Message, **_: Any) -> None:
    group_send(groups.AGENTS, conversation_event("message", conversation, message))


def _updated(conversation: Conversation, changes: dict[str, Any], **_: Any) -> None:
    group_send(groups.AGENTS, conversation_event("updated", conversation, fields=sorted(changes)))


def _delivery(message: Message, **_: Any) -> None:
    conversation = Conversation.objects.only("id", "team_id", "assignee_id").get(
        pk=message.conversation_id
    )
    group_send(groups.AGENTS, conversation_event("delivery", conversation, message))


def connect() -> None:
    signals.message_received.connect(_received, dispatch_uid="realtime-received")
    signals.message_created.connect(_created, dispatch_uid="realtime-created")
    signals.conversation_updated.connect(_updated, dispatch_uid="realtime-updated")
    signals.delivery_status_changed.connect(_delivery, dispatch_uid="realtime-delivery")
