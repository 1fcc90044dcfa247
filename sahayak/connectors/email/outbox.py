"""The local outbox: where outbound mail goes when no relay is configured.

With ``SAHAYAK_SMTP_URL`` unset (a fresh install, the demo) nothing leaves the machine:
each message is kept in a Maildir (``SAHAYAK_OUTBOX_DIR``, default ``<data dir>/sent-mail``)
that any mail client can open, and the workspace shows it under Mailboxes -> Sent mail.
Set ``SAHAYAK_SMTP_URL`` (or a mailbox's own SMTP settings) to send for real.
"""

from __future__ import annotations

import mailbox
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from django.conf import settings

ENVELOPE_HEADER = "X-Sahayak-Envelope-To"
LISTED = 200


@dataclass(frozen=True)
class KeptMail:
    key: str
    sender: str
    to: str
    subject: str
    date: str
    text: str = ""


def _maildir() -> mailbox.Maildir:
    folder = Path(settings.SAHAYAK_OUTBOX_DIR)
    folder.parent.mkdir(parents=True, exist_ok=True)
    return mailbox.Maildir(folder, create=True)


def keep(mime: EmailMessage, sender: str, to: str) -> str:
    """Store one outgoing message as it would have been sent; returns its key."""
    raw = f"{ENVELOPE_HEADER}: {to}\n".encode() + mime.as_bytes(policy=policy.SMTPUTF8)
    return str(_maildir().add(raw))


def _summary(key: str, raw: bytes, with_text: bool) -> KeptMail:
    parsed = BytesParser(policy=policy.default).parsebytes(raw, headersonly=not with_text)
    text = ""
    if with_text:
        body = parsed.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
        text = body.get_content() if body is not None else ""
    return KeptMail(
        key=key,
        sender=str(parsed.get("From", "")),
        to=str(parsed.get(ENVELOPE_HEADER) or parsed.get("To", "")),
        subject=str(parsed.get("Subject", "")),
        date=str(parsed.get("Date", "")),
        text=text,
    )


def recent(limit: int = LISTED) -> list[KeptMail]:
    """The newest kept messages first (Maildir names begin with the time they were kept)."""
    folder = _maildir()
    keys = sorted(folder.keys(), reverse=True)[:limit]
    return [_summary(key, folder.get_bytes(key), with_text=False) for key in keys]


def read(key: str) -> KeptMail | None:
    try:
        raw = _maildir().get_bytes(key)
    except (KeyError, ValueError):
        return None
    return _summary(key, raw, with_text=True)
