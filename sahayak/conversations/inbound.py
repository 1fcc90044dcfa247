"""The one shape every channel's inbound message is turned into."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .models import Inbox


def doubtful_sender(metadata: dict[str, Any] | None) -> tuple[str, str] | None:
    """Why nothing should answer a stored message on its own, as its channel marked it in
    its metadata section: ``("automated", why)`` (an auto-reply, bulk mail, a
    mailer-daemon...), ``("unverified", "")`` (the sender's address failed its checks), or
    None when a person wrote it."""
    for section in (metadata or {}).values():
        if not isinstance(section, dict):
            continue
        if section.get("automated"):
            return "automated", str(section["automated"])
        if section.get("unverified_sender"):
            return "unverified", ""
    return None


@dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content_type: str
    content: bytes
    content_id: str = ""


@dataclass
class InboundMessage:
    """A customer's message, normalized by a channel adapter.

    ``external_id`` is the source's own id (Message-ID, provider message sid, client message
    id): with ``channel`` it is the idempotency key, so redelivery stores nothing new.

    Threading tries, in order, and takes the first that finds a conversation:
    1. ``conversation_id``: an explicit, trusted reference (an API call, a signed token);
    2. ``references``: external ids of earlier messages this one answers, matched against
       every message received or sent, and against what earlier messages referred to;
       and the other way round, a message already stored that referred to this one;
    3. ``claimed_conversation_id``: an unsigned reference (a ``[#123]`` in a subject),
       taken only when the conversation belongs to the same contact;
    4. ``loose_references``: weaker shared ids (an Outlook Thread-Index root);
    5. ``thread_key``: the channel's session key (a chat, an SMS sender);
    6. ``subject_key`` within ``subject_window``: the same contact's recent conversation
       with the same normalized subject.
    Every reference is remembered, so a parent delivered after its reply finds it.
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
    claimed_conversation_id: int | None = None
    loose_references: list[str] = field(default_factory=list)
    thread_key: str = ""
    subject_key: str = ""
    subject_window: timedelta | None = None
    locale: str = ""
    written_at: datetime | None = None  # the sender's own timestamp, if it has one
    # The channel judged it likely spam: a conversation it opens is set aside as spam.
    spam: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    attachments: list[InboundAttachment] = field(default_factory=list)


class InboundRejected(ValueError):
    """The message will never be accepted as it is (the reason is for the sender)."""
