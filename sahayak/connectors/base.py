"""What every channel adapter implements: deliver an OutboundMessage, report failures.

Inbound, an adapter builds a ``sahayak.conversations.inbound.InboundMessage`` and hands it
to ``sahayak.conversations.pipeline.receive``; the core never imports an adapter.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any


class DeliveryError(Exception):
    """Sending failed. ``permanent`` tells the caller whether a retry can help."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent


@dataclass(frozen=True)
class OutboundMessage:
    message_id: int
    conversation_id: int
    channel: str
    inbox_config: dict[str, Any]
    text: str
    html: str = ""
    subject: str = ""
    author_name: str = ""
    # The customer's addresses by identity kind, e.g. {"email": ["a@example.com"]}.
    recipients: dict[str, list[str]] = field(default_factory=dict)
    # External ids of the conversation's earlier messages, newest last (for threading).
    thread_external_ids: list[str] = field(default_factory=list)
    # {"filename", "content_type", "path"} of each attached file (path in default storage).
    attachments: list[dict[str, Any]] = field(default_factory=list)
    # The customer's language (templates render in it) and their name.
    locale: str = ""
    recipient_name: str = ""
    # Set for messages the system sent on its own ("auto_reply"): never answered by robots.
    automatic: str = ""


@dataclass(frozen=True)
class SendResult:
    external_id: str | None = None


class ChannelAdapter(ABC):
    """One channel's outbound half. Inbound parsing lives beside it in the same package."""

    kind: str = ""
    # True: deliver in the process that stored the reply, right after its commit (live
    # channels); the background worker only retries. False: the worker sends it.
    instant: bool = False

    @abstractmethod
    def send(self, message: OutboundMessage) -> SendResult:
        """Deliver or raise DeliveryError; must be safe to call again for the same message."""
