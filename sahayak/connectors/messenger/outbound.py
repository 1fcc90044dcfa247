"""Replies on Messenger and Instagram. Within 24 hours of the customer's last message a
reply is a RESPONSE; after that, up to 7 days, it goes with the HUMAN_AGENT tag when the
channel may use it (the app needs Meta's Human Agent permission); later it is refused
before any call (the core's reply window)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from sahayak.connectors.messaging import health
from sahayak.connectors.messaging.providers import ProviderFailure
from sahayak.conversations.channels import (
    ChannelAdapter,
    DeliveryError,
    OutboundMessage,
    SendResult,
)
from sahayak.conversations.models import Conversation
from sahayak.conversations.services import last_customer_message_at

from . import client
from .inbound import IDENTITY

STANDARD_WINDOW = timedelta(hours=24)
TEXT_LIMIT = 2000


def messaging_type(kind: str, message: OutboundMessage, recipient: str) -> dict[str, str]:
    """RESPONSE within 24 hours of the customer's last message (counted as the core's
    reply window counts it: per customer), else the HUMAN_AGENT tag if allowed."""
    contact_id = (
        Conversation.objects.filter(pk=message.conversation_id)
        .values_list("contact_id", flat=True)
        .first()
    )
    last = last_customer_message_at(contact_id, kind) if contact_id else None
    if last is not None and timezone.now() - last < STANDARD_WINDOW:
        return {"messaging_type": "RESPONSE"}
    if message.inbox_config.get("human_agent"):
        return {"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}
    raise DeliveryError(
        _(
            "More than 24 hours have passed since the customer last wrote, and this channel may not use the human agent tag."
        ),
        permanent=True,
    )


class _MetaAdapter(ChannelAdapter):
    kind = ""

    def send(self, message: OutboundMessage) -> SendResult:
        ids = message.recipients.get(IDENTITY[self.kind]) or []
        if not ids:
            raise DeliveryError(
                gettext_noop("The customer has no %(k)s id."),
                params={"k": client.LABELS[self.kind]},
                permanent=True,
            )
        recipient = ids[0]
        envelope = {"recipient": {"id": recipient}, **messaging_type(self.kind, message, recipient)}
        try:
            last = self._send(message, envelope)
        except ProviderFailure as exc:
            health.went_wrong(message.inbox_id, exc.message)
            raise
        health.sent(message.inbox_id)
        return SendResult(external_id=last)

    def _send(self, message: OutboundMessage, envelope: dict[str, Any]) -> str:
        config, last = message.inbox_config, ""
        for attachment in message.attachments:
            with default_storage.open(attachment["path"], "rb") as handle:
                content = handle.read()
            form = attachment["content_type"].split("/")[0]
            form = form if form in ("image", "audio", "video") else "file"
            body = {
                **envelope,
                "message": {"attachment": {"type": form, "payload": {"is_reusable": False}}},
            }
            files = {"filedata": (attachment["filename"], content, attachment["content_type"])}
            last = client.send(self.kind, config, body, files)
        if message.text.strip():
            last = client.send(
                self.kind, config, {**envelope, "message": {"text": message.text[:TEXT_LIMIT]}}
            )
        return last


class MessengerAdapter(_MetaAdapter):
    kind = "messenger"


class InstagramAdapter(_MetaAdapter):
    kind = "instagram"

    def _send(self, message: OutboundMessage, envelope: dict[str, Any]) -> str:
        if message.attachments:
            # Instagram takes files only by public URL, which Sahayak does not hand out.
            raise DeliveryError(_("Instagram replies cannot carry files."), permanent=True)
        return super()._send(message, envelope)
