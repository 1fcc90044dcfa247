"""What every provider webhook does once its signature has been checked: store each
message through the one pipeline (once, however often the provider redelivers), apply
each status report, and only then let the view answer 2xx.

A message the pipeline refuses for good (empty, too large) is logged on the health line
and skipped: the provider would otherwise redeliver it forever and hold up the rest.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _

from sahayak.contacts.models import Identity
from sahayak.contacts.services import add_identity
from sahayak.conversations.burst import receive_many
from sahayak.conversations.delivery import advance_status
from sahayak.conversations.inbound import InboundMessage, InboundRejected
from sahayak.conversations.models import Inbox

from . import health

logger = logging.getLogger(__name__)

# Identity kinds that are phone numbers in E.164: the same number on SMS and on WhatsApp
# is the same person.
PHONE_KINDS = ("phone", "whatsapp")


@dataclass(frozen=True)
class StatusReport:
    """The provider's word on a message we sent: sent, delivered, read or failed."""

    external_id: str
    status: str
    reason: str = ""
    code: str = ""


class PayloadError(ValueError):
    """The body is not the provider's webhook payload (answered 400, nothing stored)."""


def dicts(value: Any, *, required: bool = False) -> list[dict[str, Any]]:
    """The objects of a JSON list; anything else in it is skipped. A ``required`` list
    that is not a list at all makes the payload unreadable."""
    if not isinstance(value, list):
        if required or value not in (None, ""):
            raise PayloadError("expected a list")
        return []
    return [item for item in value if isinstance(item, dict)]


def obj(value: Any) -> dict[str, Any]:
    """A JSON object, or an empty one in its place."""
    return value if isinstance(value, dict) else {}


# Inboxes by (channel, public key), read again after INBOX_TTL seconds: every webhook
# names its inbox, and reading it (with its sealed secrets) took most of an
# acknowledgement's time. A changed or switched-off channel is seen within the TTL.
INBOX_TTL = 5.0
_inboxes: dict[tuple[str, str], tuple[float, Inbox | None]] = {}


def inbox_for(kind: str, public_key: str) -> Inbox:
    now = time.monotonic()
    cached = _inboxes.get((kind, public_key))
    if cached is None or cached[0] < now:
        found = (
            Inbox.objects.filter(channel=kind, public_key=public_key, is_active=True)
            .select_related("team")
            .first()
        )
        if len(_inboxes) > 10_000:  # keys are guessed by strangers too: stay small
            _inboxes.clear()
        _inboxes[(kind, public_key)] = cached = (now + INBOX_TTL, found)
    if cached[1] is None:
        raise Http404(_("No such channel."))
    return cached[1]


def forget_inboxes() -> None:
    """After an inbox is saved: read inboxes afresh."""
    _inboxes.clear()


def same_number(kind: str, number: str) -> None:
    """A number first seen on this channel that a contact already has on another phone
    channel becomes that contact's identity here too (one customer across SMS and
    WhatsApp). ``number`` is in E.164."""
    if kind not in PHONE_KINDS:
        return
    if Identity.objects.filter(kind=kind, address=number).exists():
        return
    other = (
        Identity.objects.filter(kind__in=PHONE_KINDS, address=number)
        .exclude(kind=kind)
        .select_related("contact")
        .order_by("id")
        .first()
    )
    if other is not None:
        add_identity(contact=other.contact, kind=kind, address=number)


def store_each(pairs: Iterable[tuple[Inbox, InboundMessage | StatusReport]]) -> int:
    """Store items that name their inbox (one app's webhook serving several numbers or
    pages), inbox by inbox in arrival order."""
    batches: dict[int, list[InboundMessage | StatusReport]] = {}
    inboxes: dict[int, Inbox] = {}
    for inbox, item in pairs:
        inboxes[inbox.pk] = inbox
        batches.setdefault(inbox.pk, []).append(item)
    return sum(store(inboxes[key], batch) for key, batch in batches.items())


def read_json(body: bytes) -> dict[str, Any]:
    """A webhook's JSON object; PayloadError for anything else."""
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise PayloadError(f"not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise PayloadError("not a JSON object")
    return payload


Item = InboundMessage | StatusReport

_collecting: ContextVar[list[tuple[Inbox, Item]] | None] = ContextVar("webhook_items", default=None)


@contextmanager
def collecting() -> Iterator[list[tuple[Inbox, Item]]]:
    """``store()`` inside this block keeps what it is given in the list instead of storing
    it: the queue reads several deliveries first and stores their messages together."""
    items: list[tuple[Inbox, Item]] = []
    token = _collecting.set(items)
    try:
        yield items
    finally:
        _collecting.reset(token)


def store(inbox: Inbox, items: Iterable[InboundMessage | StatusReport]) -> int:
    """Store the messages and apply the reports, in their order; returns how many messages
    were new (0 while ``collecting``). Messages side by side are stored as one burst."""
    collector = _collecting.get()
    if collector is not None:
        collector.extend((inbox, item) for item in items)
        return 0
    new = 0
    run: list[InboundMessage] = []
    for item in items:
        if isinstance(item, StatusReport):
            new += _store_messages(inbox, run)
            run = []
            advance_status(
                channel=inbox.channel,
                external_id=item.external_id,
                status=item.status,
                reason=item.reason,
                code=item.code,
            )
            continue
        run.append(item)
    new += _store_messages(inbox, run)
    health.heard_from(inbox)
    return new


def _store_messages(inbox: Inbox, messages: list[InboundMessage]) -> int:
    if not messages:
        return 0
    for item in messages:
        same_number(item.sender_kind, item.sender_address)
    new = 0
    for item, result in zip(messages, receive_many(messages), strict=True):
        if isinstance(result, InboundRejected):
            logger.warning("%s message %s refused: %s", inbox.channel, item.external_id, result)
            health.went_wrong(inbox.pk, str(result))
            continue
        new += 0 if result.duplicate else 1
    return new
