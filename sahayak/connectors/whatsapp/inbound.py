"""Webhook payloads of the WhatsApp Cloud API turned into inbound messages and status
reports. Media is fetched from the Graph API before the webhook is acknowledged, so a
stored message has its file (or says plainly that WhatsApp could not give it)."""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from sahayak.connectors.messaging.providers import ProviderFailure
from sahayak.connectors.messaging.webhooks import (
    PayloadError,
    StatusReport,
    dicts,
    obj,
    read_json,
    store_each,
)
from sahayak.conversations.inbound import InboundAttachment, InboundMessage
from sahayak.conversations.models import Inbox

from . import client

logger = logging.getLogger(__name__)

CHANNEL = "whatsapp"
MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")
STATUSES = ("sent", "delivered", "read", "failed")


def inbox_of(number_id: str, default: Inbox) -> Inbox | None:
    """Meta sends every number of an app to the app's one webhook address: the inbox
    whose phone number id the change is for (the addressed inbox if it is its own)."""
    if str(default.config.get("phone_number_id", "")) == number_id:
        return default
    for inbox in Inbox.objects.filter(channel=CHANNEL, is_active=True):
        if str(inbox.config.get("phone_number_id", "")) == number_id:
            return inbox
    return None


def check(payload: dict[str, Any]) -> None:
    """The cheap check made before a delivery is queued: the shape, not the content."""
    if payload.get("object") != "whatsapp_business_account":
        raise PayloadError("not a whatsapp_business_account webhook")
    dicts(payload.get("entry"), required=True)


def process(inbox: Inbox, body: bytes, content_type: str) -> None:
    """A queued delivery (run by the worker): every message and status of it."""
    store_each(parse(read_json(body), inbox))


def parse(payload: Any, inbox: Inbox) -> Iterator[tuple[Inbox, InboundMessage | StatusReport]]:
    if not isinstance(payload, dict) or payload.get("object") != "whatsapp_business_account":
        raise PayloadError("not a whatsapp_business_account webhook")
    for entry in dicts(payload.get("entry"), required=True):
        for change in dicts(entry.get("changes")):
            if change.get("field") != "messages":
                continue
            value = obj(change.get("value"))
            number_id = str(obj(value.get("metadata")).get("phone_number_id", ""))
            target = inbox_of(number_id, inbox)
            if target is None:
                logger.warning("whatsapp webhook for unknown phone number id %s", number_id)
                continue
            names = {
                str(c.get("wa_id")): str(obj(c.get("profile")).get("name") or "")
                for c in dicts(value.get("contacts"))
            }
            for raw in dicts(value.get("messages")):
                message = _message(raw, names, target, number_id)
                if message is not None:
                    yield target, message
            for raw in dicts(value.get("statuses")):
                report = _status(raw)
                if report is not None:
                    yield target, report


def _status(raw: dict[str, Any]) -> StatusReport | None:
    if raw.get("status") not in STATUSES or not raw.get("id"):
        return None
    error = (dicts(raw.get("errors")) or [{}])[0]
    details = str(obj(error.get("error_data")).get("details") or "")
    reason = str(error.get("title") or error.get("message") or "")
    if details and details != reason:
        reason = f"{reason}: {details}" if reason else details
    return StatusReport(
        external_id=str(raw["id"]),
        status=str(raw["status"]),
        reason=reason,
        code=str(error.get("code") or ""),
    )


def _when(raw: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(raw.get("timestamp") or 0), tz=UTC) or None
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _message(
    raw: dict[str, Any], names: dict[str, str], inbox: Inbox, number_id: str
) -> InboundMessage | None:
    if not raw.get("id") or not raw.get("from"):
        return None
    kind = str(raw.get("type") or "")
    sender = str(raw["from"])
    details: dict[str, Any] = {"type": kind}
    attachments: list[InboundAttachment] = []
    text = ""
    references: list[str] = []
    context = obj(raw.get("context"))
    if context.get("id"):
        references.append(str(context["id"]))
        details["reply_to"] = str(context["id"])
    if kind == "text":
        text = str(obj(raw.get("text")).get("body") or "")
    elif kind in MEDIA_TYPES:
        text, attachments = _media(obj(raw.get(kind)), kind, inbox)
    elif kind == "location":
        text = _location(obj(raw.get("location")))
    elif kind == "contacts":
        text = _contacts(dicts(raw.get("contacts")))
    elif kind == "reaction":
        reaction = obj(raw.get("reaction"))
        emoji = str(reaction.get("emoji") or "")
        if not emoji:
            return None  # a reaction taken back: nothing to answer
        text = emoji
        details["reaction_to"] = str(reaction.get("message_id") or "")
        if details["reaction_to"]:
            references.append(details["reaction_to"])
    elif kind == "button":
        text = str(obj(raw.get("button")).get("text") or "")
    elif kind == "interactive":
        interactive = obj(raw.get("interactive"))
        chosen = obj(interactive.get("button_reply") or interactive.get("list_reply"))
        text = str(chosen.get("title") or "")
    if not text.strip() and not attachments:
        text = _("(a WhatsApp message of type %(t)s that cannot be shown here)") % {
            "t": kind or "?"
        }
    return InboundMessage(
        channel=CHANNEL,
        inbox=inbox,
        sender_kind=CHANNEL,
        sender_address="+" + sender.lstrip("+"),
        sender_name=names.get(sender, ""),
        text=text,
        external_id=str(raw["id"]),
        references=references,
        thread_key=f"{number_id}:{sender}",
        written_at=_when(raw),
        metadata={"whatsapp": details},
        attachments=attachments,
    )


def _media(media: dict[str, Any], kind: str, inbox: Inbox) -> tuple[str, list[InboundAttachment]]:
    caption = str(media.get("caption") or "")
    media_id = str(media.get("id") or "")
    content_type = str(media.get("mime_type") or "application/octet-stream").split(";")[0]
    filename = str(media.get("filename") or "")
    if not filename:
        extension = mimetypes.guess_extension(content_type) or ""
        filename = f"{kind}-{media_id[-12:] or 'file'}{extension}"
    try:
        content, fetched_type = client.fetch_media(inbox.config, media_id)
    except ProviderFailure as exc:
        if not exc.permanent:
            raise  # the webhook answers 5xx and WhatsApp sends it again
        note = _("(WhatsApp could not give the %(t)s: %(r)s)") % {"t": kind, "r": exc.message}
        return "\n".join(filter(None, [caption, note])), []
    attachment = InboundAttachment(
        filename=filename[:255],
        content_type=(fetched_type or content_type).split(";")[0][:127],
        content=content,
    )
    return caption, [attachment]


def _location(location: dict[str, Any]) -> str:
    lat, lon = location.get("latitude"), location.get("longitude")
    place = ", ".join(str(v) for v in (location.get("name"), location.get("address")) if v)
    link = f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
    return "\n".join(filter(None, [f"📍 {place}" if place else "📍", link]))


def _contacts(cards: list[dict[str, Any]]) -> str:
    lines = []
    for card in cards:
        name = str(obj(card.get("name")).get("formatted_name") or "")
        phones = [str(p.get("phone") or "") for p in dicts(card.get("phones"))]
        emails = [str(e.get("email") or "") for e in dicts(card.get("emails"))]
        lines.append(" · ".join(filter(None, [name, *phones, *emails])))
    return "👤 " + "\n👤 ".join(lines) if lines else ""
