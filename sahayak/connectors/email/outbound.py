"""Sending replies by SMTP: threaded headers, a reply token, text + HTML in the customer's
language, attachments; SMTP answers sorted into "retry later" and "never".

The Message-ID depends only on the message, so a retry after a timeout sends the same id
and the customer's mail client shows one message.
"""

from __future__ import annotations

import hashlib
import hmac
import smtplib
import ssl
import unicodedata
from dataclasses import replace
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.conf import settings
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from sahayak import netguard
from sahayak.conversations.channels import (
    ChannelAdapter,
    DeliveryError,
    OutboundMessage,
    SendResult,
)
from sahayak.conversations.models import Inbox

from . import outbox
from .mailboxes import ServerSettings, server_from_config
from .thread_ids import reply_token, with_number


def parse_smtp_url(url: str) -> ServerSettings:
    """``smtp://user:password@host:587?security=starttls`` (``smtps://`` means ssl)."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    default_security = "ssl" if parts.scheme == "smtps" else "starttls"
    security = query.get("security", [default_security])[0]
    port = parts.port or {"ssl": 465, "starttls": 587}.get(security, 25)
    return ServerSettings(
        host=parts.hostname or "127.0.0.1",
        port=port,
        security=security,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        check_destination=False,  # the operator's own relay
    )


def message_id_for(message_id: int, conversation_id: int, domain: str) -> str:
    key = settings.SECRET_KEY.encode()
    tag = hmac.new(key, f"msgid:{message_id}".encode(), hashlib.sha256).hexdigest()[:12]
    return f"sahayak.{conversation_id}.{message_id}.{tag}@{domain}"


def header_name(name: str) -> str:
    """A display name fit for a header: line breaks and other control characters (which
    would make the header invalid, or inject another one) become spaces."""
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in name)
    return " ".join(cleaned.split())[:200]


def build_email(message: OutboundMessage) -> tuple[EmailMessage, str, list[str]]:
    """The MIME message, our Message-ID (no brackets) and the envelope recipients (the
    customer, then those copied: Cc in a header, Bcc only in the envelope)."""
    config = message.inbox_config
    address = str(config.get("address", ""))
    if "@" not in address:
        raise DeliveryError(_("This mailbox has no sending address."), permanent=True)
    recipients = message.recipients.get("email") or []
    if not recipients:
        raise DeliveryError(_("The customer has no email address."), permanent=True)
    to = recipients[0]
    local, _at, domain = address.partition("@")
    our_id = message_id_for(message.message_id, message.conversation_id, domain)
    mime = EmailMessage()
    company = header_name(str(config.get("from_name") or ""))
    author = header_name(message.author_name)
    sender_name = " – ".join(n for n in (author, company) if n)
    recipient_name = header_name(message.recipient_name)
    mime["From"] = formataddr((sender_name, address)) if sender_name else address
    mime["To"] = formataddr((recipient_name, to)) if recipient_name else to
    cc = message.copies.get("cc", [])
    if cc:
        mime["Cc"] = ", ".join(cc)
    mime["Reply-To"] = f"{local}+{reply_token(message.conversation_id)}@{domain}"
    subject = with_number(message.subject, message.conversation_id)
    mime["Subject"] = f"Re: {subject}" if message.thread_external_ids else subject
    mime["Message-ID"] = f"<{our_id}>"
    mime["Date"] = format_datetime(timezone.now())
    thread = message.thread_external_ids[-20:]
    if thread:
        mime["In-Reply-To"] = f"<{thread[-1]}>"
        mime["References"] = " ".join(f"<{ref}>" for ref in thread)
    if message.automatic:
        mime["Auto-Submitted"] = "auto-replied"
        mime["X-Auto-Response-Suppress"] = "All"
    text, html = _render(message)
    mime.set_content(text)  # (clears Content-* headers: they come after)
    mime.add_alternative(html, subtype="html")
    if message.locale:
        mime["Content-Language"] = message.locale
    for item in message.attachments:
        with default_storage.open(item["path"], "rb") as handle:
            content = handle.read()
        maintype, _slash, subtype = str(item["content_type"]).partition("/")
        mime.add_attachment(
            content,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=item["filename"],
        )
    return mime, our_id, [to, *cc, *message.copies.get("bcc", [])]


def _render(message: OutboundMessage) -> tuple[str, str]:
    context = {
        "text": message.text,
        "html": message.html,
        "author": message.author_name,
        "number": message.conversation_id,
        "automatic": message.automatic,
        "company": message.inbox_config.get("from_name", ""),
    }
    language = message.locale or settings.LANGUAGE_CODE
    with translation.override(language):
        context["direction"] = "rtl" if translation.get_language_bidi() else "ltr"
        context["language"] = translation.get_language()
        text = render_to_string("email/reply.txt", context)
        html = render_to_string("email/reply.html", context)
    return text, html


def relay_for(config: dict[str, object]) -> ServerSettings | None:
    """The mailbox's own relay, else ``SAHAYAK_SMTP_URL``; None: keep mail in the outbox."""
    own = config.get("smtp")
    if isinstance(own, dict) and own.get("host"):
        return server_from_config(own)
    if not settings.SAHAYAK_SMTP_URL:
        return None
    return parse_smtp_url(settings.SAHAYAK_SMTP_URL)


def send_mime(
    relay: ServerSettings | None, mime: EmailMessage, sender: str, to: str | list[str]
) -> None:
    """One SMTP transaction (or, with no relay, into the local outbox); raises
    DeliveryError(permanent=...) on failure."""
    to_addrs = [to] if isinstance(to, str) else to
    if relay is None:
        outbox.keep(mime, sender, ", ".join(to_addrs))
        return
    timeout = settings.SAHAYAK_SMTP_TIMEOUT
    try:
        client: smtplib.SMTP
        context = ssl.create_default_context()
        if relay.security == "ssl" and relay.check_destination:
            client = netguard.PinnedSMTPSSL(
                relay.host, relay.port, timeout=timeout, context=context
            )
        elif relay.security == "ssl":
            client = smtplib.SMTP_SSL(relay.host, relay.port, timeout=timeout, context=context)
        elif relay.check_destination:
            client = netguard.PinnedSMTP(relay.host, relay.port, timeout=timeout)
        else:
            client = smtplib.SMTP(relay.host, relay.port, timeout=timeout)
        with client:
            if relay.security == "starttls":
                client.starttls(context=context)
            if relay.username:
                client.login(relay.username, relay.password)
            client.send_message(mime, from_addr=sender, to_addrs=to_addrs)
    except netguard.DestinationRefused as exc:
        raise DeliveryError(str(exc), permanent=True) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        code, reason = next(iter(exc.recipients.values()))
        raise _refused(code, reason) from exc
    except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
        raise _refused(exc.smtp_code, exc.smtp_error) from exc
    except smtplib.SMTPAuthenticationError as exc:
        # A settings problem an admin can fix: keep retrying with backoff meanwhile.
        raise DeliveryError(
            gettext_noop("The mail relay refused the login: %(e)s"), params={"e": exc}
        ) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(
            gettext_noop("The mail relay could not be reached: %(e)s"), params={"e": exc}
        ) from exc


def _refused(code: int, reason: bytes | str) -> DeliveryError:
    text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    return DeliveryError(f"SMTP {code}: {text}", permanent=500 <= code < 600)


class EmailAdapter(ChannelAdapter):
    kind = "email"

    def send(self, message: OutboundMessage) -> SendResult:
        mime, our_id, to = build_email(message)
        send_mime(relay_for(message.inbox_config), mime, str(message.inbox_config["address"]), to)
        return SendResult(external_id=our_id)


def sending_mailbox(config: dict[str, Any]) -> dict[str, Any]:
    """The mailbox a reply from another channel goes out of: the inbox's own sending
    address if it has one, else the first active email inbox with an address."""
    if "@" in str(config.get("address", "")):
        return config
    for mailbox in (
        Inbox.objects.filter(channel="email", is_active=True)
        .order_by("id")
        .values_list("config", flat=True)
    ):
        if "@" in str((mailbox or {}).get("address", "")):
            return dict(mailbox)
    raise DeliveryError(
        _("This reply goes out by email, and no mailbox with a sending address is set up."),
        permanent=True,
    )


def send_by_email(message: OutboundMessage, *, address: str = "") -> SendResult:
    """Deliver a reply of another channel (web form, portal, a chat visitor who left) by
    email, to ``address`` or the customer's first email address."""
    recipients = {**message.recipients, "email": [address]} if address else message.recipients
    if not recipients.get("email"):
        raise DeliveryError(_("The customer left no email address."), permanent=True)
    return EmailAdapter().send(
        replace(message, inbox_config=sending_mailbox(message.inbox_config), recipients=recipients)
    )
