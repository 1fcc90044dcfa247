"""Files on messages: stored once by content, whichever side wrote them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from .inbound import InboundAttachment
from .models import Attachment, Message


def store(message: Message, items: Iterable[InboundAttachment]) -> list[Attachment]:
    """Save ``items`` as ``message``'s attachments (files named by their SHA-256)."""
    rows = []
    for item in items:
        digest = hashlib.sha256(item.content).hexdigest()
        name = f"attachments/{digest[:2]}/{digest}"
        # Content-addressed: a crash before commit leaves at most an unreferenced file.
        if not default_storage.exists(name):
            default_storage.save(name, ContentFile(item.content))
        rows.append(
            Attachment(
                message=message,
                file=name,
                filename=item.filename[:255] or "attachment",
                content_type=(item.content_type or "application/octet-stream")[:127],
                size=len(item.content),
                sha256=digest,
                content_id=item.content_id[:255],
            )
        )
    if rows:
        Attachment.objects.bulk_create(rows)
    return rows
