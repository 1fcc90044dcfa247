"""Files on messages: stored once by content, whichever side wrote them."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage

from .inbound import InboundAttachment
from .models import Attachment, Message


def keep(content: bytes, folder: str, suffix: str = "") -> tuple[str, str]:
    """Store ``content`` once under its SHA-256 in ``folder``: (storage name, digest).

    Content-addressed, so a crash before the commit leaves at most an unreferenced file,
    and the same bytes delivered again are not written twice.
    """
    digest = hashlib.sha256(content).hexdigest()
    name = f"{folder}/{digest[:2]}/{digest}{suffix}"
    if isinstance(default_storage, FileSystemStorage):
        _write_once(Path(default_storage.path(name)), content)
    elif not default_storage.exists(name):
        default_storage.save(name, ContentFile(content))
    return name, digest


def _write_once(path: Path, content: bytes) -> None:
    """Local files without the storage API's name probing: one stat when the file is
    there; else written beside it and renamed into place, so a file under the name is
    always whole (an interrupted write leaves only a temporary file)."""
    try:
        if path.stat().st_size == len(content):
            return
    except FileNotFoundError:
        path.parent.mkdir(
            mode=settings.FILE_UPLOAD_DIRECTORY_PERMISSIONS or 0o777, parents=True, exist_ok=True
        )
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(content)
        if settings.FILE_UPLOAD_PERMISSIONS is not None:
            os.chmod(temporary, settings.FILE_UPLOAD_PERMISSIONS)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def store(message: Message, items: Iterable[InboundAttachment]) -> list[Attachment]:
    """Save ``items`` as ``message``'s attachments (files named by their SHA-256)."""
    rows = []
    for item in items:
        name, digest = keep(item.content, "attachments")
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
