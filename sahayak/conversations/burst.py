"""Storing a burst of inbound messages at once (an IMAP batch, a webhook with many
entries): the per-message result is the one ``pipeline.receive()`` gives, with fewer trips
to the database.

What ``receive()`` asks the database once per message — is it a duplicate, who wrote it,
which stored message does it answer — a burst reads with a few queries up front and keeps
up to date as it stores (a reply stored after its parent in the same burst finds it). The
whole burst is one transaction; a conflict with a concurrent delivery (a unique key that
another process took meanwhile) rolls it back whole, and the messages are then stored one
by one with ``receive()``, which knows how to lose such races. Nothing is stored twice and
nothing is lost either way.
"""

from __future__ import annotations

import itertools
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import TypeVar

from django.db import transaction

from sahayak.contacts.identities import normalize_address
from sahayak.contacts.models import Contact, Identity
from sahayak.contacts.services import create_with_identity, organizations_by_domain

from . import events, writebehind
from .inbound import InboundMessage, InboundRejected
from .models import Conversation, Message, ThreadReference
from .pipeline import ReceiveResult, _existing, _store, _validate, receive

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Tries of a whole burst before its messages are stored one by one.
BURST_ATTEMPTS = 2

# Values per IN (...) list: well under every database's limit on bound parameters.
CHUNK = 500


def receive_many(inbounds: Sequence[InboundMessage]) -> list[ReceiveResult | InboundRejected]:
    """Store each of ``inbounds`` exactly once; a rejected message gets its reason in its
    place. Inside a caller's transaction the burst is a savepoint of it, and the caller
    rejoins split threads after its commit (as ``receive()`` leaves it to such callers)."""
    results: list[ReceiveResult | InboundRejected | None] = [None] * len(inbounds)
    valid = []
    for n, inbound in enumerate(inbounds):
        try:
            _validate(inbound)
            normalize_address(inbound.sender_kind, inbound.sender_address)
        except InboundRejected as exc:
            results[n] = exc
            continue
        except ValueError as exc:
            results[n] = InboundRejected(str(exc))
            continue
        valid.append(n)
    outermost = not transaction.get_connection().in_atomic_block
    for attempt in range(BURST_ATTEMPTS):
        try:
            committed = _store_burst(inbounds, valid, results, outermost)
        except Exception:
            # Rolled back whole (its events with it). Most often another process created
            # one of its new customers meanwhile: read again once, then one by one.
            logger.info("burst of %d rolled back (attempt %d)", len(valid), attempt + 1)
            continue
        events.announce(committed)
        if outermost:
            _rejoin_split(results)
        break
    else:
        for n in valid:
            try:
                results[n] = receive(inbounds[n])
            except InboundRejected as exc:
                results[n] = exc
    return [r if r is not None else InboundRejected("not stored") for r in results]


def _store_burst(
    inbounds: Sequence[InboundMessage],
    valid: list[int],
    results: list[ReceiveResult | InboundRejected | None],
    outermost: bool,
) -> list[events.DomainEvent]:
    """One transaction for the burst; its events when it is the outermost one (told
    together after the commit: one write to the search index, SLA clocks in one pass).
    Inside a caller's transaction they follow that commit, held or not as it chose."""
    holding: AbstractContextManager[list[events.DomainEvent]] = (
        events.held() if outermost else nullcontext([])
    )
    with holding as committed, transaction.atomic():
        burst = Burst([inbounds[n] for n in valid])
        with writebehind.collecting(burst.rows):
            for n in valid:
                inbound = inbounds[n]
                if burst.has(inbound):
                    burst.rows.flush()  # the one it repeats may still be waiting
                    results[n] = _existing(inbound)
                else:
                    results[n] = _store(inbound, burst)
            burst.rows.flush()
    return committed


def _rejoin_split(results: list[ReceiveResult | InboundRejected | None]) -> None:
    """After the commit, as ``receive()`` does for one message."""
    from .threads import rejoin_split_threads

    stored = [
        r.message.pk
        for r in results
        if isinstance(r, ReceiveResult) and not r.duplicate and r.message.external_id
    ]
    kept = rejoin_split_threads(stored)
    for n, result in enumerate(results):
        if isinstance(result, ReceiveResult) and not result.duplicate and result.message.pk in kept:
            results[n] = ReceiveResult(
                result.message, kept[result.message.pk], result.contact, created_conversation=False
            )


def _chunks(values: Iterable[T]) -> Iterator[list[T]]:
    ordered = sorted(values)  # type: ignore[type-var]
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


class Burst:
    """What a burst's messages need from the database, read up front and kept current.

    - messages: (channel, external id) -> (message id, conversation id), for the burst's own
      ids (duplicates) and every id its messages refer to (parents);
    - references: (channel, ref) -> [(row id, conversation id)], what stored messages
      referred to (siblings, and replies that arrived before their parent);
    - contacts by (kind, normalized address), and conversations by id, one instance each, so
      two messages of the burst in one conversation see each other's changes.
    """

    def __init__(self, inbounds: Sequence[InboundMessage]) -> None:
        self._messages: dict[tuple[str, str], tuple[int, int]] = {}
        self._references: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
        self._contacts: dict[tuple[str, str], Contact] = {}
        self._conversations: dict[int, Conversation] = {}
        self._organizations: dict[str, int] = {}
        # Keys of rows this burst stores (some not inserted yet): above every row read up
        # front and in the order stored, as the database will number them.
        self._new_row_ids = itertools.count(2**62)
        self.rows = writebehind.PendingRows()
        self._read(inbounds)

    # --- reading up front -------------------------------------------------------------
    def _read(self, inbounds: Sequence[InboundMessage]) -> None:
        keys: dict[str, set[str]] = defaultdict(set)
        wanted: set[int] = set()
        for inbound in inbounds:
            ids = keys[inbound.channel]
            if inbound.external_id:
                ids.add(inbound.external_id[:255])
            ids.update(ref[:255] for ref in inbound.references + inbound.loose_references if ref)
            wanted.update(
                pk for pk in (inbound.conversation_id, inbound.claimed_conversation_id) if pk
            )
        for channel, values in keys.items():
            for chunk in _chunks(values):
                rows = Message.objects.filter(channel=channel, external_id__in=chunk)
                for external_id, pk, conversation_id in rows.values_list(
                    "external_id", "pk", "conversation_id"
                ):
                    self._messages[(channel, external_id or "")] = (pk, conversation_id)
                    wanted.add(conversation_id)
                refs = ThreadReference.objects.filter(channel=channel, ref__in=chunk)
                for ref, pk, conversation_id in refs.values_list("ref", "pk", "conversation_id"):
                    self._references[(channel, ref)].append((pk, conversation_id))
                    wanted.add(conversation_id)
        for chunk_ids in _chunks(wanted):
            self._conversations.update(Conversation.objects.in_bulk(chunk_ids))
        self._read_contacts(inbounds)

    def _read_contacts(self, inbounds: Sequence[InboundMessage]) -> None:
        addresses: dict[str, set[str]] = defaultdict(set)
        for inbound in inbounds:
            kind = inbound.sender_kind
            addresses[kind].add(normalize_address(kind, inbound.sender_address))
        for kind, values in addresses.items():
            for chunk in _chunks(values):
                identities = Identity.objects.select_related("contact").filter(
                    kind=kind, address__in=chunk
                )
                for identity in identities:
                    self._contacts[(kind, identity.address)] = identity.contact
        # New customers writing by email join their domain's organization.
        new_domains = {
            address.rsplit("@", 1)[1]
            for address in addresses.get("email", ())
            if "@" in address and ("email", address) not in self._contacts
        }
        self._organizations = organizations_by_domain(new_domains) if new_domains else {}

    # --- answering the pipeline's questions ---------------------------------------------
    def has(self, inbound: InboundMessage) -> bool:
        """Whether a message with this one's idempotency key is stored (before, or earlier
        in this burst)."""
        external_id = inbound.external_id
        return bool(external_id) and (inbound.channel, (external_id or "")[:255]) in self._messages

    def contact(self, *, kind: str, address: str, name: str, locale: str) -> Contact:
        key = (kind, normalize_address(kind, address))
        found = self._contacts.get(key)
        if found is None:
            domain = key[1].rsplit("@", 1)[-1] if kind == "email" else ""
            found = create_with_identity(
                kind=kind,
                address=key[1],
                name=name,
                locale=locale,
                organization_id=self._organizations.get(domain),
            )
            self._contacts[key] = found
        return found

    def conversation(self, pk: int) -> Conversation | None:
        found = self._conversations.get(pk)
        if found is None:
            found = Conversation.objects.filter(pk=pk).first()
            if found is not None:
                self._conversations[pk] = found
        return found

    def same(self, conversation: Conversation) -> Conversation:
        """The burst's one instance of ``conversation`` (found by a query of its own)."""
        return self._conversations.setdefault(conversation.pk, conversation)

    def by_references(self, channel: str, refs: list[str]) -> Conversation | None:
        """As ``pipeline._by_references``: the newest stored message among ``refs``, else
        the newest that referred to one of them."""
        refs = [ref[:255] for ref in refs if ref][-50:]
        parents = [
            self._messages[(channel, ref)] for ref in refs if (channel, ref) in self._messages
        ]
        if parents:
            return self.conversation(max(parents)[1])
        siblings = [row for ref in refs for row in self._references.get((channel, ref), ())]
        if siblings:
            return self.conversation(max(siblings)[1])
        return None

    def referring_to(self, channel: str, external_id: str) -> Conversation | None:
        """As ``pipeline._referring_to``: the first stored message that answered this one."""
        rows = self._references.get((channel, external_id[:255]))
        return self.conversation(min(rows)[1]) if rows else None

    # --- keeping current ------------------------------------------------------------------
    def stored(
        self,
        message: Message,
        conversation: Conversation,
        contact: Contact,
        references: Sequence[ThreadReference],
    ) -> None:
        self._conversations[conversation.pk] = conversation
        if message.external_id:
            key = (message.channel, message.external_id[:255])
            self._messages[key] = (next(self._new_row_ids), conversation.pk)
        for row in references:
            key = (row.channel, row.ref)
            self._references[key].append((next(self._new_row_ids), conversation.pk))
