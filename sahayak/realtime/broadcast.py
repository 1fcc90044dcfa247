"""Domain events -> live updates for every open agent browser.

Events carry ids and the conversation's team and assignee, never content: each consumer
decides whether its agent may see the conversation, and the browser fetches what it shows
through the ordinary permission-checked views.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models.signals import m2m_changed, post_save

from sahayak.accounts.models import Team, User
from sahayak.conversations import events
from sahayak.conversations.events import DELIVERY_KINDS, MESSAGE_KINDS, DomainEvent, EventKind
from sahayak.conversations.models import Conversation, Message

from . import groups
from .publish import group_send, group_send_many


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


def _live_update(event: DomainEvent) -> dict[str, Any]:
    kind = _websocket_kind(event)
    extra = {"fields": [str(event.kind)]} if kind == "updated" else {}
    return conversation_event(kind, event.conversation, event.message, **extra)


def _on_events(events: list[DomainEvent], **_: Any) -> None:
    """One commit's events, handed to the channel layer together (a burst of mail is one
    hand-over, not one per event)."""
    group_send_many([(groups.AGENTS, _live_update(event)) for event in events])


def _access_changed(user_ids: Iterable[int]) -> None:
    """Tell the agents' open sockets to re-check what they may see (after the commit)."""
    ids = list(user_ids)

    def send() -> None:
        for user_id in ids:
            group_send(groups.user(user_id), {"type": "access.changed"})

    transaction.on_commit(send)


def _team_members_changed(
    instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **_: Any
) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if reverse:  # user.teams changed: that one user
        _access_changed([instance.pk])
    elif pk_set:
        _access_changed(pk_set)
    elif action == "post_clear":
        _access_changed(User.objects.filter(is_active=True).values_list("pk", flat=True))


def _user_saved(
    instance: User, created: bool, update_fields: frozenset[str] | None = None, **_: Any
) -> None:
    if created or (update_fields and update_fields <= {"last_login", "last_seen_at"}):
        return
    _access_changed([instance.pk])  # deactivated, or a role that sees more or less


def _team_saved(instance: Team, created: bool, **_: Any) -> None:
    if not created:  # made private or public: every agent's view may change
        _access_changed(User.objects.filter(is_active=True).values_list("pk", flat=True))


def connect() -> None:
    events.events_committed.connect(_on_events, dispatch_uid="realtime-events")
    m2m_changed.connect(
        _team_members_changed, sender=Team.members.through, dispatch_uid="realtime-members"
    )
    post_save.connect(_user_saved, sender=User, dispatch_uid="realtime-user")
    post_save.connect(_team_saved, sender=Team, dispatch_uid="realtime-team")
