"""After an undone contact merge: conversations and messages go with the identity that
wrote them.

A merge moves what the source contact had; undoing it moves those records back. What was
made while the two were one (a conversation the source's address opened in the meantime,
a message it wrote into the target's conversation) is not in that list: each message
records the identity that wrote it (``metadata["sender"]``), and here every conversation of
the two contacts that the merge touched, or that was opened since, goes to the contact
now holding the identity of its first customer message.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Min, Q

from sahayak.contacts.models import Contact, Identity

from .events import EventKind, record
from .models import Conversation, Direction, Message


def follow_identities(
    *, source: Contact, target: Contact, since: datetime, merged: list[int], actor: Any
) -> int:
    """Move what the split-off identities wrote to the contact holding them; returns how
    many conversations changed hands."""
    pair = (source.pk, target.pk)
    holders = {
        (kind, address): contact_id
        for kind, address, contact_id in Identity.objects.filter(contact_id__in=pair).values_list(
            "kind", "address", "contact_id"
        )
    }
    conversations = (
        Conversation.objects.filter(contact_id__in=pair)
        .filter(
            Q(pk__in=merged)
            | Q(created_at__gte=since)
            | Q(messages__author_contact_id__in=pair, messages__created_at__gte=since)
        )
        .distinct()
    )
    rows = list(conversations.order_by("id"))
    firsts = _first_senders([c.pk for c in rows])
    changed = 0
    for conversation in rows:
        sender = firsts.get(conversation.pk)
        holder = holders.get(sender) if sender else None
        if holder is not None and holder != conversation.contact_id:
            old = conversation.contact_id
            conversation.contact_id = holder
            conversation.save(update_fields=["contact"])
            record(EventKind.CONTACT_CHANGED, conversation, actor=actor, old=old, new=holder)
            changed += 1
    _reattribute_messages(pair, holders, since)
    return changed


def _sender(message: Message) -> tuple[str, str] | None:
    value = (message.metadata or {}).get("sender")
    if isinstance(value, list) and len(value) == 2:
        return str(value[0]), str(value[1])
    return None


def _first_senders(conversation_ids: list[int]) -> dict[int, tuple[str, str]]:
    """The identity that wrote each conversation's first customer message (two queries)."""
    firsts = (
        Message.objects.filter(conversation_id__in=conversation_ids, direction=Direction.INBOUND)
        .values("conversation_id")
        .annotate(first=Min("id"))
        .values_list("first", flat=True)
    )
    found = {}
    for message in Message.objects.filter(pk__in=list(firsts)).only("conversation_id", "metadata"):
        sender = _sender(message)
        if sender:
            found[message.conversation_id] = sender
    return found


def _reattribute_messages(
    pair: tuple[int, int], holders: dict[tuple[str, str], int], since: datetime
) -> None:
    """Customer messages written since the merge name the contact holding their identity."""
    moves: dict[int, list[int]] = {}
    for message in Message.objects.filter(
        direction=Direction.INBOUND, author_contact_id__in=pair, created_at__gte=since
    ).only("id", "metadata", "author_contact_id"):
        sender = _sender(message)
        holder = holders.get(sender) if sender else None
        if holder is not None and holder != message.author_contact_id:
            moves.setdefault(holder, []).append(message.pk)
    for holder, ids in moves.items():  # one update per contact, not per message
        Message.objects.filter(pk__in=ids).update(author_contact_id=holder)
