"""The one shape every channel's inbound message is turned into."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .models import Inbox


@dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class InboundMessage:
    """A customer's message, normalized by a channel adapter.

    ``external_id`` is the source's own id (Message-ID, provider message sid, client message
    id): with ``channel`` it is the idempotency key, so redelivery stores nothing new.
    Threading uses, in order: ``conversation_id`` (an explicit reference), ``references``
    (external ids of earlier messages this one answers), then ``thread_key``.
    """

    channel: str
    inbox: Inbox
    sender_kind: str
    sender_address: str
    text: str = ""
    html: str = ""
    sender_name: str = ""
    subject: str = ""
    external_id: str | None = None
    conversation_id: int | None = None
    references: list[str] = field(default_factory=list)
    thread_key: str = ""
    locale: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    attachments: list[InboundAttachment] = field(default_factory=list)


class InboundRejected(ValueError):
    """The message will never be accepted as it is (the reason is for the sender)."""
