"""The customer portal: sign-in by one-time email link, the customer's conversations from
every channel, replies and new requests (stored through the one inbound pipeline)."""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sahayak.contacts.identities import normalize_email
from sahayak.contacts.models import Contact
from sahayak.contacts.services import resolve_contact
from sahayak.conversations.channels import DeliveryError
from sahayak.conversations.inbound import InboundMessage
from sahayak.conversations.models import Conversation, Direction, Inbox, Message
from sahayak.conversations.pipeline import ReceiveResult, receive

from .models import ArticleRead, LoginLink

logger = logging.getLogger(__name__)
LINK_LIFETIME = timedelta(minutes=30)


class PortalError(ValueError):
    """Shown to the customer as it is."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sender_address() -> str:
    if settings.SAHAYAK_PORTAL_FROM:
        return str(settings.SAHAYAK_PORTAL_FROM)
    inbox = Inbox.objects.filter(channel="email", is_active=True).order_by("id").first()
    address = str((inbox.config if inbox else {}).get("address", ""))
    return address if "@" in address else f"noreply@{settings.SAHAYAK_SMTP_HOSTNAME}"


def request_link(*, email: str, locale: str, base_url: str) -> None:
    """Email a sign-in link to ``email``. Nothing tells the caller whether the address is
    known (the page says the same either way); a new address becomes a contact when the
    link is used, since using it proves the address is theirs."""
    try:
        address = normalize_email(email)
    except ValueError as exc:
        raise PortalError(_("Enter a valid email address.")) from exc
    token = secrets.token_urlsafe(32)
    LoginLink.objects.create(
        token_hash=_hash(token),
        email=address,
        locale=locale,
        expires_at=timezone.now() + LINK_LIFETIME,
    )
    link = f"{base_url}{token}/"
    context = {"link": link, "minutes": int(LINK_LIFETIME.total_seconds() // 60)}
    try:
        _send_notice(
            address, locale, gettext_lazy("Your sign-in link"), "portal/login_email.txt", context
        )
    except DeliveryError as exc:
        raise PortalError(
            _("We could not send the email just now. Please try again in a few minutes.")
        ) from exc


def _send_notice(
    address: str, locale: str, subject: Any, template: str, context: dict[str, Any]
) -> None:
    """One automatic email of the portal, in the customer's language."""
    from sahayak.connectors.email.outbound import relay_for, send_mime

    with translation.override(locale or settings.LANGUAGE_CODE):
        mime = EmailMessage()
        mime["Subject"] = str(subject)
        mime["From"] = sender_address()
        mime["To"] = address
        mime["Date"] = format_datetime(timezone.now())
        mime["Message-ID"] = make_msgid(domain=sender_address().partition("@")[2] or None)
        mime["Auto-Submitted"] = "auto-generated"
        mime.set_content(render_to_string(template, context))
    send_mime(relay_for({}), mime, sender_address(), address)


def _tell_known_addresses(contact: Contact, new_address: str, locale: str) -> None:
    """An address an agent added was just proven by a sign-in: the customer's other,
    already proven addresses hear of it (so a wrongly added address does not go unseen)."""
    from sahayak.contacts.models import Identity

    others = Identity.objects.filter(contact=contact, kind="email", verified=True).exclude(
        address=new_address
    )
    for other in others.values_list("address", flat=True)[:10]:
        try:
            _send_notice(
                other,
                locale or contact.locale,
                gettext_lazy("A new address signed in to your account"),
                "portal/new_address_email.txt",
                {"address": new_address},
            )
        except DeliveryError:
            logger.warning("could not tell %s about a new sign-in address", other)


def use_link(token: str) -> tuple[Contact, str]:
    """The contact a still-valid, unused link signs in (and its email); the link is spent."""
    with transaction.atomic():
        link = LoginLink.objects.select_for_update().filter(token_hash=_hash(token)).first()
        if link is None or link.used_at is not None or link.expires_at < timezone.now():
            raise PortalError(_("This sign-in link has expired or was already used."))
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
        from sahayak.contacts.models import Identity

        unproven = Identity.objects.filter(
            kind="email", address=link.email, verified=False, contact__isnull=False
        ).exists()
        contact, _created = resolve_contact(kind="email", address=link.email, locale=link.locale)
        Identity.objects.filter(kind="email", address=link.email).update(verified=True)
    if unproven:
        _tell_known_addresses(contact, link.email, link.locale)
    while contact.merged_into_id:
        contact = contact.merged_into  # type: ignore[assignment]
    return contact, link.email


def conversations(contact: Contact) -> QuerySet[Conversation]:
    """The customer's conversations on every channel, newest first (keyset by id)."""
    return Conversation.objects.filter(contact=contact, merged_into__isnull=True).order_by("-id")


def conversation_for(contact: Contact, conversation_id: int) -> Conversation | None:
    return conversations(contact).filter(pk=conversation_id).first()


def visible_messages(conversation: Conversation) -> QuerySet[Message]:
    """What the customer may read: everything but internal notes."""
    return (
        conversation.messages.exclude(direction=Direction.NOTE)
        .select_related("author_user")
        .order_by("id")
    )


def portal_inbox() -> Inbox:
    inbox = Inbox.objects.filter(channel="portal").order_by("id").first()
    if inbox is None:
        inbox = Inbox.objects.create(name=_("Customer portal"), channel="portal")
    return inbox


def post(
    *,
    contact: Contact,
    email: str,
    text: str,
    submission: str,
    subject: str = "",
    conversation: Conversation | None = None,
    locale: str = "",
) -> ReceiveResult:
    """A customer's message from the portal: a reply to ``conversation`` or a new request.

    ``submission`` is the form's random token: sending the same form twice stores once.
    """
    if not text.strip():
        raise PortalError(_("Write a message first."))
    return receive(
        InboundMessage(
            channel="portal",
            inbox=conversation.inbox if conversation else portal_inbox(),
            sender_kind="email",
            sender_address=email,
            sender_name=contact.name,
            subject=subject,
            text=text,
            external_id=f"portal:{submission}"[:255],
            conversation_id=conversation.pk if conversation else None,
            locale=locale,
        )
    )


# Reading the same article again within this time is the same read (reloads, back and forth).
SAME_READ = timedelta(hours=1)


def record_read(contact: Contact, article: Any, locale: str) -> None:
    """A signed-in customer opened a help center article: it goes on their timeline."""
    now = timezone.now()
    recent = ArticleRead.objects.filter(
        contact=contact, article=article, read_at__gte=now - SAME_READ
    )
    if not recent.update(read_at=now, locale=locale[:16]):
        ArticleRead.objects.create(
            contact=contact, article=article, locale=locale[:16], read_at=now
        )
