"""Replies to Telegram: sendMessage, or sendPhoto/sendDocument with the file uploaded in
the request itself (no public URL), quoting the customer's message when asked."""

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

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")


def chat_of(message: OutboundMessage) -> str:
    """The chat to answer in: the newest message of the thread's chat (a group, or the
    customer's private chat), else the customer's own id (private chat id = user id)."""
    for external_id in reversed(message.thread_external_ids):
        if ":" in external_id:
            return external_id.split(":", 1)[0]
    users = message.recipients.get("telegram") or []
    if not users:
        raise DeliveryError(_("The customer has no Telegram chat."), permanent=True)
    return users[0]


class TelegramAdapter(ChannelAdapter):
    kind = "telegram"

    def send(self, message: OutboundMessage) -> SendResult:
        chat = chat_of(message)
        quoted: dict[str, Any] = {}
        if message.reply_to_external_id.startswith(f"{chat}:"):
            quoted = {
                "reply_parameters": {"message_id": int(message.reply_to_external_id.split(":")[1])}
            }
        try:
            sent = self._send(message, chat, quoted)
        except ProviderFailure as exc:
            health.went_wrong(message.inbox_id, exc.message)
            raise
        health.sent(message.inbox_id)
        return SendResult(external_id=f"{chat}:{sent.get('message_id')}")

    def _send(self, message: OutboundMessage, chat: str, quoted: dict[str, Any]) -> dict[str, Any]:
        config, text = message.inbox_config, message.text
        sent: dict[str, Any] = {}
        for index, attachment in enumerate(message.attachments):
            with default_storage.open(attachment["path"], "rb") as handle:
                content = handle.read()
            photo = attachment["content_type"] in PHOTO_TYPES
            field = "photo" if photo else "document"
            data: dict[str, Any] = {"chat_id": chat}
            if index == 0 and len(text) <= CAPTION_LIMIT:
                data["caption"], text = text, ""
            files = {field: (attachment["filename"], content, attachment["content_type"])}
            sent = client.send(config, "sendPhoto" if photo else "sendDocument", data, files)
        if text.strip():
            payload = {"chat_id": chat, "text": text[:TEXT_LIMIT], **quoted}
            sent = client.send(config, "sendMessage", payload)
        return sent
