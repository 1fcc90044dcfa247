"""The customer's whole profile as the agent sees it beside a conversation."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from sahayak.accounts.models import User
from sahayak.contacts.models import Contact, Identity, Order
from sahayak.conversations.permissions import visible_conversations

ORDERS_SHOWN = 5
CONVERSATIONS_SHOWN = 10


@dataclass
class CustomerPanel:
    contact: Contact
    identities: list[Identity]
    orders: list[Order]
    order_count: int
    conversations: list[dict[str, Any]]
    more_conversations: bool
    local_time: datetime | None
    ratings: list[Any]


def local_time(zone: str) -> datetime | None:
    """The customer's wall-clock time now (naive, so templates do not convert it again)."""
    if not zone:
        return None
    try:
        return timezone.now().astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def customer_panel(
    user: User, contact: Contact, exclude_conversation: int | None = None
) -> CustomerPanel:
    """Six queries whatever the customer's history: identities, orders (+count), tickets."""
    identities = list(contact.identities.order_by("kind", "id"))
    orders = list(contact.orders.order_by("-ordered_at")[:ORDERS_SHOWN])
    order_count = len(orders)
    if order_count == ORDERS_SHOWN:
        order_count = contact.orders.count()
    others = (
        visible_conversations(user)
        .filter(contact=contact)
        .exclude(pk=exclude_conversation or 0)
        .order_by("-id")
        .values("id", "subject", "status", "channel", "created_at", "last_message_at")
    )
    conversations = [dict(row) for row in others[: CONVERSATIONS_SHOWN + 1]]
    return CustomerPanel(
        contact=contact,
        identities=identities,
        orders=orders,
        order_count=order_count,
        conversations=conversations[:CONVERSATIONS_SHOWN],
        more_conversations=len(conversations) > CONVERSATIONS_SHOWN,
        local_time=local_time(contact.time_zone),
        ratings=_ratings(contact),
    )


RATINGS_SHOWN = 5


def _ratings(contact: Contact) -> list[Any]:
    """The customer's latest survey answers (CSAT and NPS), newest first: one query."""
    from sahayak.feedback.models import Survey

    return list(
        Survey.objects.filter(contact=contact, answered_at__isnull=False)
        .order_by("-answered_at")
        .only("kind", "score", "comment", "answered_at", "conversation_id")[:RATINGS_SHOWN]
    )
