"""Messenger and Instagram webhooks (``object`` "page" or "instagram"): messages with
their attachments, Instagram story replies and mentions as messages with a link,
delivery and read receipts as status reports. Echoes of the page's own messages (sent
from Meta's inbox or by Sahayak) are not stored."""

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
from sahayak.conversations.models import Direction, Inbox, Message

from . import client

logger = logging.getLogger(__name__)

OBJECTS = {"messenger": "page", "instagram": "instagram"}
IDENTITY = {"messenger": "facebook", "instagram": "instagram"}
READ_BACKLOG = 50


def inbox_of(kind: str, account: str, default: Inbox) -> Inbox | None:
    if client.account_id(kind, default.config) == account:
        return default
    for inbox in Inbox.objects.filter(channel=kind, is_active=True):
        if client.account_id(kind, inbox.config) == account:
            return inbox
    return None


def check(kind: str, payload: dict[str, Any]) -> None:
    """The cheap check made before a delivery is queued: the shape, not the content."""
    if payload.get("object") != OBJECTS[kind]:
        raise PayloadError(f"not a {OBJECTS[kind]} webhook")
    dicts(payload.get("entry"), required=True)


def process_messenger(inbox: Inbox, body: bytes, content_type: str) -> None:
    store_each(parse("messenger", read_json(body), inbox))


def process_instagram(inbox: Inbox, body: bytes, content_type: str) -> None:
    store_each(parse("instagram", read_json(body), inbox))


def parse(
    kind: str, payload: Any, inbox: Inbox
) -> Iterator[tuple[Inbox, InboundMessage | StatusReport]]:
    if not isinstance(payload, dict) or payload.get("object") != OBJECTS[kind]:
        raise PayloadError(f"not a {OBJECTS[kind]} webhook")
    for entry in dicts(payload.get("entry"), required=True):
        target = inbox_of(kind, str(entry.get("id") or ""), inbox)
        if target is None:
            logger.warning("%s webhook for unknown account %s", kind, entry.get("id"))
            continue
        for event in dicts(entry.get("messaging")):
            for item in _event(kind, event, target):
                yield target, item


def _event(kind: str, event: dict[str, Any], inbox: Inbox) -> list[InboundMessage | StatusReport]:
    sender = str(obj(event.get("sender")).get("id") or "")
    if "delivery" in event:
        mids = [str(m) for m in obj(event["delivery"]).get("mids") or [] if m]
        return [StatusReport(external_id=mid, status="delivered") for mid in mids]
    if "read" in event:
        return _read_up_to(kind, sender, obj(event["read"]))
    message = obj(event.get("message"))
    if not message.get("mid") or not sender:
        return []
    if message.get("is_echo") or message.get("is_deleted"):
        return []
    return [_message(kind, sender, event, message, inbox)]


def _read_up_to(
    kind: str, sender: str, read: dict[str, Any]
) -> list[InboundMessage | StatusReport]:
    """A read receipt names a moment (``watermark``), not messages: every message sent to
    this person up to then has been read."""
    try:
        until = datetime.fromtimestamp(int(read.get("watermark") or 0) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return []
    mids = (
        Message.objects.filter(
            channel=kind,
            direction=Direction.OUTBOUND,
            conversation__contact__identities__kind=IDENTITY[kind],
            conversation__contact__identities__address=sender,
            sent_at__lte=until,
            delivery_status__in=("sent", "delivered"),
            external_id__isnull=False,
        )
        .order_by("-id")
        .values_list("external_id", flat=True)[:READ_BACKLOG]
    )
    return [StatusReport(external_id=mid, status="read") for mid in mids if mid]


def _message(
    kind: str, sender: str, event: dict[str, Any], message: dict[str, Any], inbox: Inbox
) -> InboundMessage:
    text = str(message.get("text") or "")
    details: dict[str, Any] = {}
    references: list[str] = []
    reply_to = obj(message.get("reply_to"))
    if reply_to.get("mid"):
        references.append(str(reply_to["mid"]))
        details["reply_to"] = str(reply_to["mid"])
    story = obj(reply_to.get("story"))
    if story.get("url"):
        details["story_reply"] = str(story["url"])
        text = "\n".join(
            filter(None, [text, _("Replied to your story: %(url)s") % {"url": story["url"]}])
        )
    attachments: list[InboundAttachment] = []
    for index, attachment in enumerate(dicts(message.get("attachments"))):
        text = _attachment(kind, index, attachment, attachments, text, details)
    if not text.strip() and not attachments:
        text = _("(a message that cannot be shown here)")
    return InboundMessage(
        channel=kind,
        inbox=inbox,
        sender_kind=IDENTITY[kind],
        sender_address=sender,
        text=text,
        external_id=str(message["mid"]),
        references=references,
        thread_key=f"{inbox.pk}:{sender}",
        written_at=_when(event.get("timestamp")),
        metadata={kind: details},
        attachments=attachments,
    )


def _attachment(
    kind: str,
    index: int,
    attachment: dict[str, Any],
    attachments: list[InboundAttachment],
    text: str,
    details: dict[str, Any],
) -> str:
    form = str(attachment.get("type") or "file")
    url = str(obj(attachment.get("payload")).get("url") or "")
    if form == "story_mention":
        details["story_mention"] = url
        return "\n".join(
            filter(None, [text, _("Mentioned you in their story: %(url)s") % {"url": url}])
        )
    if form in ("fallback", "share", "template") or not url:
        title = str(attachment.get("title") or obj(attachment.get("payload")).get("title") or "")
        return "\n".join(filter(None, [text, title, url]))
    try:
        content, content_type = client.fetch(kind, url)
    except ProviderFailure as exc:
        if not exc.permanent:
            raise
        return "\n".join(
            filter(
                None, [text, _("(a file could not be fetched: %(r)s)") % {"r": exc.message}, url]
            )
        )
    content_type = (
        content_type or mimetypes.guess_type(url.split("?")[0])[0] or "application/octet-stream"
    )
    extension = mimetypes.guess_extension(content_type) or ""
    attachments.append(
        InboundAttachment(
            filename=f"{form}-{index + 1}{extension}",
            content_type=content_type[:127],
            content=content,
        )
    )
    return text


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
