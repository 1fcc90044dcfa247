"""The workspace's global search: what an agent looks up, grouped by kind.

A conversation by its number (``#121`` or ``121``), customers by name, email or phone in
any spelling, an order by its exact reference, and tags. Full-text matches in messages and
articles come from ``sahayak.knowledge.search``; this module finds the things with names.
Every conversation found is one the agent may see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sahayak.accounts.models import User
from sahayak.contacts.models import Contact, Order
from sahayak.contacts.search import search_contacts
from sahayak.ids import parse_id

from .models import Conversation, Tag
from .permissions import visible_conversations

SHOWN = 10


@dataclass
class Lookup:
    conversations: list[Conversation] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    tags: list[Tag] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.conversations or self.contacts or self.orders or self.tags)


def lookup(user: User, query: str) -> Lookup:
    query = query.strip()[:200]
    if not query:
        return Lookup()
    found = Lookup()
    number = parse_id(query)
    if number is not None:
        found.conversations = list(
            visible_conversations(user).filter(pk=number).select_related("contact")[:1]
        )
    found.contacts = list(search_contacts(query).select_related("organization")[:SHOWN])
    found.orders = list(
        Order.objects.filter(external_ref__in=_order_spellings(query))
        .select_related("contact")
        .order_by("-ordered_at")[:SHOWN]
    )
    tag = query.lstrip("#").strip().casefold()
    if tag:
        found.tags = list(Tag.objects.filter(name__startswith=tag).order_by("name")[:SHOWN])
    return found


def _order_spellings(query: str) -> set[str]:
    """An order reference as typed, without a leading "#", in capitals: exact matches only
    (ORD-1042 never finds ORD-10421)."""
    bare = query.lstrip("#").strip()
    return {query, bare, bare.upper()}


def merge_candidates(user: User, source: Conversation, query: str) -> list[Conversation]:
    """Conversations ``source`` could be merged into, as the merge picker lists them: the
    same customer's other conversations when nothing is typed; else the one numbered, the
    conversations of the customers found, and those whose messages match the words."""
    from sahayak.knowledge.search import search_messages

    visible = (
        visible_conversations(user)
        .filter(merged_into__isnull=True)
        .exclude(pk=source.pk)
        .select_related("contact")
    )
    query = query.strip()[:200]
    if not query:
        return list(visible.filter(contact_id=source.contact_id).order_by("-id")[:SHOWN])
    number = parse_id(query.lstrip("#"))
    if number is not None:
        return list(visible.filter(pk=number)[:1])
    contact_ids = list(search_contacts(query).values_list("pk", flat=True)[:SHOWN])
    found = list(visible.filter(contact_id__in=contact_ids).order_by("-id")[:SHOWN])
    seen = {c.pk for c in found}
    for hit in search_messages(query, user=user, limit=SHOWN * 2):
        conversation = hit.message.conversation
        if conversation.pk in seen or conversation.pk == source.pk:
            continue
        if conversation.merged_into_id is None:
            found.append(conversation)
            seen.add(conversation.pk)
    return found[: SHOWN * 2]
