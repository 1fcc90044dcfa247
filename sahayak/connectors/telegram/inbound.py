"""Telegram updates turned into inbound messages: text, photos, documents, voice, audio,
video, stickers, locations and contacts; files fetched from the Bot API before the
update is acknowledged. Group chats are handled or refused by the channel's setting."""

from __future__ import annotations

import hmac
import logging
import mimetypes
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from sahayak.connectors.messaging.providers import ProviderFailure
from sahayak.connectors.messaging.webhooks import obj, read_json, store
from sahayak.conversations.inbound import InboundAttachment, InboundMessage
from sahayak.conversations.models import Inbox

from . import client

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
TOKEN_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
# Kinds of file a message can carry, and the name a file gets when it has none.
FILES = {
    "document": "document",
    "voice": "voice.ogg",
    "audio": "audio",
    "video": "video.mp4",
    "video_note": "video-note.mp4",
    "animation": "animation.mp4",
    "sticker": "sticker.webp",
}


def secret_ok(config: dict[str, Any], given: str) -> bool:
    secret = str(config.get("secret_token") or "")
    return bool(secret) and hmac.compare_digest(secret.encode(), given.encode())


def is_group(chat: dict[str, Any]) -> bool:
    return chat.get("type") not in ("private", None)


def process(inbox: Inbox, body: bytes, content_type: str) -> None:
    """A queued update (run by the worker)."""
    item = message(read_json(body), inbox)
    store(inbox, [item] if item else [])


def message(update: dict[str, Any], inbox: Inbox) -> InboundMessage | None:
    """The update's message, or None for what is not one to store (an edit, a bot, a
    group chat on a channel that refuses them)."""
    raw = obj(update.get("message"))
    sender, chat = obj(raw.get("from")), obj(raw.get("chat"))
    if raw.get("message_id") is None or sender.get("id") is None or chat.get("id") is None:
        return None
    if sender.get("is_bot"):
        return None
    if is_group(chat) and inbox.config.get("groups", "refuse") != "handle":
        logger.info("telegram: a %s chat ignored (groups are refused)", chat.get("type"))
        return None
    text = str(raw.get("text") or raw.get("caption") or "")
    attachments: list[InboundAttachment] = []
    kind = "text"
    photos = [p for p in raw.get("photo") or [] if isinstance(p, dict)]
    if photos:
        kind = "photo"
        biggest = max(photos, key=lambda p: int(p.get("file_size") or 0))
        text = _attach(inbox, biggest, "photo.jpg", "image/jpeg", attachments, text)
    for field, default_name in FILES.items():
        if isinstance(raw.get(field), dict):
            kind = field
            item = raw[field]
            name = str(item.get("file_name") or default_name)
            content_type = str(item.get("mime_type") or mimetypes.guess_type(name)[0] or "")
            text = _attach(inbox, item, name, content_type, attachments, text)
    if isinstance(raw.get("location"), dict):
        kind = "location"
        lat, lon = raw["location"].get("latitude"), raw["location"].get("longitude")
        text = f"📍 https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
    if isinstance(raw.get("contact"), dict):
        kind = "contact"
        card = raw["contact"]
        name = " ".join(filter(None, [card.get("first_name"), card.get("last_name")]))
        text = f"👤 {name} · {card.get('phone_number', '')}"
    if not text.strip() and not attachments:
        text = _("(a Telegram message that cannot be shown here)")
    chat_id, user_id = str(chat["id"]), str(sender["id"])
    reply_to = obj(raw.get("reply_to_message")).get("message_id")
    name = " ".join(filter(None, [sender.get("first_name"), sender.get("last_name")]))
    details: dict[str, Any] = {"type": kind, "chat": chat_id, "chat_type": chat.get("type")}
    if sender.get("username"):
        details["username"] = sender["username"]
    if is_group(chat):
        details["chat_title"] = str(chat.get("title") or "")
    return InboundMessage(
        channel=CHANNEL,
        inbox=inbox,
        sender_kind=CHANNEL,
        sender_address=user_id,
        sender_name=name,
        text=text,
        # Telegram numbers messages per chat.
        external_id=f"{chat_id}:{raw['message_id']}",
        references=[f"{chat_id}:{reply_to}"] if reply_to else [],
        thread_key=f"{inbox.pk}:{chat_id}",
        locale=str(sender.get("language_code") or "")[:16],
        written_at=_when(raw.get("date")),
        metadata={CHANNEL: details},
        attachments=attachments,
    )


def _attach(
    inbox: Inbox,
    item: dict[str, Any],
    name: str,
    content_type: str,
    attachments: list[InboundAttachment],
    text: str,
) -> str:
    try:
        content = client.fetch_file(inbox.config, str(item.get("file_id") or ""))
    except ProviderFailure as exc:
        if not exc.permanent:
            raise
        note = _("(Telegram could not give the file: %(r)s)") % {"r": exc.message}
        return "\n".join(filter(None, [text, note]))
    attachments.append(
        InboundAttachment(
            filename=name[:255],
            content_type=(content_type or "application/octet-stream")[:127],
            content=content,
        )
    )
    return text


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
