"""Notifications: created from domain events, pushed live to the recipient's browsers."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from sahayak.accounts.models import User
from sahayak.conversations.events import DomainEvent, EventKind
from sahayak.conversations.models import Conversation, Direction, Message
from sahayak.conversations.permissions import can_view_conversation
from sahayak.realtime import groups
from sahayak.realtime.publish import group_send

from .models import Kind, Notification

# @name where name is a user name in any script (\w is Unicode-aware), dots and dashes.
MENTION = re.compile(r"(?<![\w@])@([\w][\w.\-]*\w|\w)")
MAX_MENTIONS = 20


def mentioned_usernames(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for name in MENTION.findall(text):
        seen.setdefault(name.casefold(), None)
    return list(seen)[:MAX_MENTIONS]


def notify_mentions(message: Message) -> list[User]:
    """Notify each agent @mentioned in an internal note who may see the conversation; return them."""
    if message.direction != Direction.NOTE:
        return []
    names = mentioned_usernames(message.text)
    if not names:
        return []
    conversation = message.conversation
    users = [
        user
        for user in User.objects.filter(username__iregex=_any_of(names), is_active=True)
        if user.pk != message.author_user_id and can_view_conversation(user, conversation)
    ]
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                actor_id=message.author_user_id,
                kind=Kind.MENTION,
                conversation=conversation,
                message=message,
            )
            for user in users
        ],
        ignore_conflicts=True,
    )
    for user in users:
        _push(user.pk, Kind.MENTION, conversation, message.author_user, message_id=message.pk)
    return users


def _any_of(names: list[str]) -> str:
    return "^(" + "|".join(re.escape(name) for name in names) + ")$"


def _push(
    user_id: int, kind: Kind, conversation: Conversation, actor: User | None, **extra: Any
) -> None:
    """The live toast for one agent (the bell, and the browser notification if wanted)."""
    group_send(
        groups.user(user_id),
        {
            "type": "notification",
            "kind": kind.value,
            "conversation_id": conversation.pk,
            "actor": str(actor) if actor else "",
            "subject": conversation.subject,
            **extra,
        },
    )


_ABOUT_ASSIGNEE = {
    EventKind.ASSIGNEE: Kind.ASSIGNED,
    EventKind.SLA_WARNING: Kind.SLA_WARNING,
    EventKind.SLA_BREACHED: Kind.SLA_BREACHED,
}


def notify_assignee(event: DomainEvent) -> User | None:
    """Tell the assignee a conversation is theirs now, or that its deadline is near or past
    (not when they assigned it to themselves)."""
    conversation = event.conversation
    recipient_id = event.new if event.kind == EventKind.ASSIGNEE else conversation.assignee_id
    if not recipient_id or (event.actor is not None and event.actor.pk == recipient_id):
        return None
    recipient = User.objects.filter(pk=recipient_id, is_active=True).first()
    if recipient is None:
        return None
    if event.kind == EventKind.ASSIGNEE and not recipient.notify_assignments:
        return None
    kind = _ABOUT_ASSIGNEE[event.kind]
    Notification.objects.create(
        recipient=recipient, actor=event.actor, kind=kind, conversation=conversation
    )
    _push(recipient.pk, kind, conversation, event.actor, metric=event.data.get("metric", ""))
    return recipient


def notify_users(
    users: list[User], conversation: Conversation, *, kind: Kind, note: str = ""
) -> list[User]:
    """Tell these agents about the conversation (those who may see it); who was told."""
    told = [u for u in users if u.is_active and can_view_conversation(u, conversation)]
    Notification.objects.bulk_create(
        [
            Notification(recipient=u, kind=kind, conversation=conversation, note=note[:300])
            for u in told
        ]
    )
    for user in told:
        _push(user.pk, kind, conversation, None, note=note[:300])
    return told


def notify_customer_reply(message: Message) -> User | None:
    """Tell the assignee that the customer wrote again in their conversation (once per
    message, however often the message was delivered)."""
    conversation = message.conversation
    if message.direction != Direction.INBOUND or not conversation.assignee_id:
        return None
    recipient = User.objects.filter(
        pk=conversation.assignee_id, is_active=True, notify_customer_replies=True
    ).first()
    if recipient is None or not can_view_conversation(recipient, conversation):
        return None
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=recipient,
                kind=Kind.CUSTOMER_REPLY,
                conversation=conversation,
                message=message,
            )
        ],
        ignore_conflicts=True,  # one per message and recipient (a unique constraint)
    )
    _push(recipient.pk, Kind.CUSTOMER_REPLY, conversation, None, message_id=message.pk)
    return recipient


def on_event(event: DomainEvent, **_: Any) -> None:
    if event.kind == EventKind.NOTE_ADDED and event.message is not None:
        notify_mentions(event.message)
    elif event.kind == EventKind.MESSAGE_RECEIVED and event.message is not None:
        if not event.data.get("created_conversation"):
            notify_customer_reply(event.message)
    elif event.kind in _ABOUT_ASSIGNEE:
        notify_assignee(event)


def unread(user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user, read_at__isnull=True)


def mark_read(user: User, ids: list[int] | None = None) -> int:
    qs = unread(user)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return qs.update(read_at=timezone.now())
