"""Replies to WhatsApp: text, files (uploaded first, then sent by media id) and approved
templates, each quoting the customer's message it answers when there is one."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.utils.translation import gettext as _

from sahayak.connectors.messaging import health
from sahayak.connectors.messaging.providers import ProviderFailure
from sahayak.conversations.channels import (
    ChannelAdapter,
    DeliveryError,
    OutboundMessage,
    SendResult,
)

from . import client
from .templates import components_for

CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096


def media_type(content_type: str) -> str:
    if content_type in ("image/jpeg", "image/png"):
        return "image"
    if content_type in ("video/mp4", "video/3gpp"):
        return "video"
    if content_type.startswith("audio/"):
        return "audio"
    if content_type == "image/webp":
        return "sticker"
    return "document"


class WhatsAppAdapter(ChannelAdapter):
    kind = "whatsapp"

    def send(self, message: OutboundMessage) -> SendResult:
        config = message.inbox_config
        numbers = message.recipients.get("whatsapp") or []
        if not numbers:
            raise DeliveryError(_("The customer has no WhatsApp number."), permanent=True)
        to = numbers[0].lstrip("+")
        context = (
            {"context": {"message_id": message.reply_to_external_id}}
            if message.reply_to_external_id
            else {}
        )
        try:
            external_id = self._send(config, to, message, context)
        except ProviderFailure as exc:
            health.went_wrong(message.inbox_id, exc.message)
            raise
        health.sent(message.inbox_id)
        return SendResult(external_id=external_id)

    def _send(
        self, config: dict[str, Any], to: str, message: OutboundMessage, context: dict[str, Any]
    ) -> str:
        if message.template:
            template = message.template
            payload = {
                "to": to,
                "type": "template",
                "template": {
                    "name": template["name"],
                    "language": {"code": template["language"]},
                    "components": components_for(template.get("params") or {}),
                },
            }
            return client.send(config, payload)
        text = message.text[:TEXT_LIMIT]
        last = ""
        for index, attachment in enumerate(message.attachments):
            kind = media_type(attachment["content_type"])
            with default_storage.open(attachment["path"], "rb") as handle:
                content = handle.read()
            media_id = client.upload(
                config, attachment["filename"], attachment["content_type"], content
            )
            media: dict[str, Any] = {"id": media_id}
            if kind == "document":
                media["filename"] = attachment["filename"]
            # The text rides as the first file's caption where WhatsApp allows one.
            if index == 0 and kind in ("image", "video", "document") and len(text) <= CAPTION_LIMIT:
                media["caption"], text = text, ""
            last = client.send(config, {"to": to, "type": kind, kind: media, **context})
        if text.strip():
            body = {"body": text, "preview_url": "http" in text}
            last = client.send(config, {"to": to, "type": "text", "text": body, **context})
        return last
