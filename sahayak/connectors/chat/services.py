"""Chat operations shared by the visitor's websocket, the widget's HTTP endpoints and tests.

A visitor is a ``ChatSession`` (a token kept by the browser) with an anonymous contact
known by a ``chat`` identity. Messages go through the one inbound pipeline, keyed by the
browser's own message id, so a message resent after a dropped socket is stored once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from sahayak.accounts.models import Role, User
from sahayak.contacts.identities import normalize_email
from sahayak.contacts.models import Contact, Identity
from sahayak.contacts.services import add_identity, find_contact, merge_contacts
from sahayak.conversations.events import EventKind, record
from sahayak.conversations.inbound import InboundAttachment, InboundMessage
from sahayak.conversations.models import (
    Attachment,
    Conversation,
    DeliveryStatus,
    Direction,
    Inbox,
    Message,
)
from sahayak.conversations.pipeline import ReceiveResult, receive
from sahayak.ratelimit import exceeded

from .config import identity_secret
from .models import ChatSession

CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CONTEXT_KEYS = ("page", "referrer", "browser", "locale", "time_zone", "title")
HISTORY_LIMIT = 100


class ChatError(ValueError):
    """A visitor request that cannot be done as asked; ``code`` is for the widget."""

    def __init__(self, message: str, code: str = "invalid"):
        super().__init__(message)
        self.code = code


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


THREAD_KEY_PREFIX = "visitor:"


def thread_key(session: ChatSession) -> str:
    return f"{THREAD_KEY_PREFIX}{session.public_id}"


# --- sessions ----------------------------------------------------------------------------


def clean_context(raw: Any) -> dict[str, str]:
    """What the widget says about where the visitor is, bounded; URLs only http(s)."""
    if not isinstance(raw, dict):
        return {}
    clean: dict[str, str] = {}
    for key in CONTEXT_KEYS:
        value = raw.get(key)
        if not isinstance(value, str) or not value.strip():
            continue
        value = value.strip()[:500]
        if key in ("page", "referrer") and urlsplit(value).scheme not in ("http", "https"):
            continue
        clean[key] = value
    return clean


def supported_language(locale: object) -> str:
    """The UI language for a browser locale ("fr-FR" -> "fr"), or "" if we have none."""
    if not isinstance(locale, str):
        return ""
    code = locale.replace("_", "-").split("-")[0].lower()
    return code if code in dict(settings.LANGUAGES) else ""


def find_inbox(public_key: str) -> Inbox | None:
    """The active chat inbox a widget names by its public key."""
    return Inbox.objects.filter(public_key=public_key, channel="chat", is_active=True).first()


def rate_limited(session: ChatSession, ip: str = "") -> bool:
    """At most SAHAYAK_CHAT_RATE messages and uploads per visitor per minute, and as many
    per client address (SAHAYAK_CHAT_IP_RATE) and per inbox (SAHAYAK_CHAT_INBOX_RATE): one
    machine opening many sessions cannot flood an inbox."""
    checks = [
        (f"chat-rate:{session.public_id}", settings.SAHAYAK_CHAT_RATE),
        (f"chat-inbox-rate:{session.inbox_id}", settings.SAHAYAK_CHAT_INBOX_RATE),
    ]
    if ip:
        checks.append((f"chat-ip-rate:{ip}", settings.SAHAYAK_CHAT_IP_RATE))
    return any(exceeded(key, limit, 60) for key, limit in checks)


def sessions_rate_limited(inbox: Inbox, ip: str) -> bool:
    """New chat sessions: at most SAHAYAK_CHAT_SESSIONS_PER_IP per client address and
    SAHAYAK_CHAT_SESSIONS_PER_INBOX per inbox a minute."""
    checks = [(f"chat-sessions-inbox:{inbox.pk}", settings.SAHAYAK_CHAT_SESSIONS_PER_INBOX)]
    if ip:
        checks.append((f"chat-sessions-ip:{ip}", settings.SAHAYAK_CHAT_SESSIONS_PER_IP))
    return any(exceeded(key, limit, 60) for key, limit in checks)


@transaction.atomic
def start_session(
    *, inbox: Inbox, context: dict[str, str], ip: str = ""
) -> tuple[ChatSession, str]:
    """A new visitor: an anonymous contact, its chat identity, and the browser's token."""
    if sessions_rate_limited(inbox, ip):
        raise ChatError(_("Too many new chats from here; please try again in a minute."), "rate")
    token = secrets.token_urlsafe(32)
    contact = Contact.objects.create(
        locale=supported_language(context.get("locale")),
        time_zone=context.get("time_zone", "")[:64],
    )
    session = ChatSession(
        inbox=inbox, token_hash=hash_token(token), contact=contact, context=context
    )
    session.last_seen_at = timezone.now()
    session.save()
    Identity.objects.create(contact=contact, kind="chat", address=session.public_id)
    return session, token


def resume_session(*, inbox: Inbox, token: str) -> ChatSession | None:
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        return None
    return (
        ChatSession.objects.select_related("contact", "inbox")
        .filter(inbox=inbox, token_hash=hash_token(token))
        .first()
    )


def touch(session: ChatSession, context: dict[str, str] | None = None) -> None:
    """The visitor is here (now), maybe on another page."""
    session.last_seen_at = timezone.now()
    fields = ["last_seen_at"]
    if context:
        session.context = {**session.context, **context}
        fields.append("context")
    session.save(update_fields=fields)


def is_online(session: ChatSession) -> bool:
    seen = session.last_seen_at
    horizon = timedelta(seconds=settings.SAHAYAK_CHAT_ONLINE_SECONDS)
    return seen is not None and timezone.now() - seen < horizon


def agents_available(inbox: Inbox) -> bool:
    """Someone who could answer has the workspace open (heartbeat within the window)."""
    since = timezone.now() - timedelta(seconds=settings.SAHAYAK_CHAT_ONLINE_SECONDS)
    agents = User.objects.filter(is_active=True, last_seen_at__gte=since)
    if inbox.team_id:
        agents = agents.filter(
            Q(teams=inbox.team_id)
            | Q(role__in=(Role.ADMIN, Role.SUPERVISOR))
            | Q(is_superuser=True)
        )
    return agents.exists()


# --- identity ----------------------------------------------------------------------------


def sign_user_id(inbox: Inbox, user_id: str) -> str:
    """What the business's server computes: hex HMAC-SHA256 of the user id with the secret."""
    secret = identity_secret(inbox)
    return hmac.new(secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def signature_valid(inbox: Inbox, user_id: str, signature: str) -> bool:
    if not identity_secret(inbox) or not user_id or not isinstance(signature, str):
        return False
    return hmac.compare_digest(sign_user_id(inbox, user_id), signature.lower())


def identify(
    *, session: ChatSession, user_id: str, signature: str, email: str = "", name: str = ""
) -> ChatSession:
    """Match the visitor to the business's own user, proven by the site's signature.

    The anonymous contact is merged into the user's contact (found by the external id, else
    by the signed email), so agents see one profile and the visitor sees their history. A
    browser that was already someone else gets a fresh session instead: one person never
    inherits another's chat.
    """
    user_id = str(user_id or "").strip()[:255]
    if not signature_valid(session.inbox, user_id, signature):
        raise ChatError(_("The identity signature is not valid."), code="identity")
    if session.verified_user_id == user_id:
        return session
    if session.verified_user_id:
        raise ChatError(_("This browser belongs to another user."), code="switch_user")
    with transaction.atomic():
        target = find_contact(kind="external", address=user_id)
        if target is None and email:
            target = _contact_by_email(email)
        if target is not None and target.pk != session.contact_id:
            merge_contacts(source=session.contact, target=target, actor=None)
            session.contact = target
        contact = session.contact
        add_identity(contact=contact, kind="external", address=user_id, verified=True)
        _claim_email(contact, email, verified=True)
        if name and not contact.name:
            contact.name = name[:200]
            contact.save(update_fields=["name", "updated_at"])
        session.verified_user_id = user_id
        session.save(update_fields=["contact", "verified_user_id"])
    return session


def _contact_by_email(email: str) -> Contact | None:
    try:
        return find_contact(kind="email", address=email)
    except ValueError:
        return None


def _claim_email(contact: Contact, email: str, *, verified: bool) -> bool:
    """Add ``email`` to the contact if nobody has it; True if the contact has it now."""
    if not email:
        return False
    try:
        address = normalize_email(email)
    except ValueError as exc:
        raise ChatError(str(exc), code="email") from exc
    owner = Identity.objects.filter(kind="email", address=address).first()
    if owner is None:
        Identity.objects.create(contact=contact, kind="email", address=address, verified=verified)
        return True
    return owner.contact_id == contact.pk


def update_details(*, session: ChatSession, name: str = "", email: str = "") -> None:
    """Name and email from the pre-chat or offline form.

    An email that already belongs to another contact is not taken on trust (anyone can
    type anyone's address): it is kept on the session for offline replies, and the
    profiles are merged only by a signed identity or by an agent.
    """
    contact = session.contact
    name = name.strip()[:200]
    if name and contact.name != name and not session.verified_user_id:
        contact.name = name
        contact.save(update_fields=["name", "updated_at"])
    email = email.strip()
    if email and not _claim_email(contact, email, verified=False):
        session.context = {**session.context, "email": normalize_email(email)}
        session.save(update_fields=["context"])


def contact_email(contact_id: int) -> str:
    """The contact's email address (a verified one first), or ""."""
    address = (
        Identity.objects.filter(contact=contact_id, kind="email")
        .order_by("-verified", "id")
        .values_list("address", flat=True)
        .first()
    )
    return address or ""


def reply_email(session: ChatSession) -> str:
    """Where offline replies and transcripts go: the contact's email, else the claimed one."""
    return contact_email(session.contact_id) or str(session.context.get("email", ""))


# --- messages ----------------------------------------------------------------------------


def post_message(
    *,
    session: ChatSession,
    client_id: str,
    text: str,
    attachments: Sequence[InboundAttachment] = (),
) -> ReceiveResult:
    """Store a visitor's message once, whatever how often the browser sends it."""
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise ChatError(_("A message needs an id of 1 to 64 letters, digits, - or _."))
    if not isinstance(text, str):
        raise ChatError(_("A message needs some text."))
    if len(text) > settings.SAHAYAK_CHAT_MAX_CHARS:
        raise ChatError(
            _("The message is longer than %(n)d characters.")
            % {"n": settings.SAHAYAK_CHAT_MAX_CHARS},
            code="too_long",
        )
    if not text.strip() and not attachments:
        raise ChatError(_("The message is empty."), code="empty")
    context = {k: v for k, v in session.context.items() if k in ("page", "referrer", "browser")}
    result = receive(
        InboundMessage(
            channel="chat",
            inbox=session.inbox,
            sender_kind="chat",
            sender_address=session.public_id,
            sender_name=session.contact.name,
            text=text,
            external_id=f"{session.public_id}:{client_id}",
            thread_key=thread_key(session),
            metadata={"chat": context} if context else {},
            attachments=list(attachments),
        )
    )
    if session.conversation_id != result.conversation.pk:
        session.conversation = result.conversation
        session.save(update_fields=["conversation"])
    return result


def visible_messages(session: ChatSession) -> QuerySet[Message]:
    """What the visitor may read: their own chats; a verified user every chat of theirs in
    this inbox. Internal notes never."""
    scope = Q(conversation__inbox=session.inbox_id)
    if session.verified_user_id:
        scope &= Q(conversation__contact=session.contact_id)
    else:
        scope &= Q(conversation__thread_key=thread_key(session))
    return Message.objects.filter(scope, direction__in=(Direction.INBOUND, Direction.OUTBOUND))


def history(session: ChatSession, *, after: int = 0) -> list[Message]:
    """The newest messages (up to HISTORY_LIMIT), or those after ``after``, oldest first."""
    rows = visible_messages(session).select_related("author_user").prefetch_related("attachments")
    if after:
        return list(rows.filter(id__gt=after).order_by("id")[:HISTORY_LIMIT])
    return list(reversed(rows.order_by("-id")[:HISTORY_LIMIT]))


def mark_read(session: ChatSession, up_to: int) -> int:
    """The visitor has seen the agent's messages up to ``up_to``: they show as read."""
    unread = list(
        visible_messages(session)
        .filter(
            direction=Direction.OUTBOUND,
            id__lte=up_to,
            delivery_status__in=(DeliveryStatus.SENT, DeliveryStatus.DELIVERED),
        )
        .select_related("conversation")
        .order_by("-id")[:50]
    )
    if not unread:
        return 0
    Message.objects.filter(pk__in=[m.pk for m in unread]).update(
        delivery_status=DeliveryStatus.READ
    )
    for message in unread[:5]:  # the agent's view refreshes these; older ones on reload
        old, message.delivery_status = message.delivery_status, DeliveryStatus.READ
        record(
            EventKind.DELIVERY_STATUS,
            message.conversation,
            old=old,
            new=DeliveryStatus.READ,
            message=message,
            persist=False,
        )
    return len(unread)


def request_transcript(*, session: ChatSession, email: str = "") -> Message:
    """Email the current conversation to the visitor, through the delivery pipeline."""
    from sahayak.conversations.services import send_automatic

    if email:
        update_details(session=session, email=email)
    conversation = session.conversation
    if conversation is None:
        raise ChatError(_("There is no conversation to send yet."), code="empty")
    address = transcript_address(session)
    if not address:
        raise ChatError(
            _(
                "We can send the transcript only to an address you have proved (by signing in "
                "on this site or to our customer portal)."
            ),
            code="email",
        )
    if exceeded(
        f"chat-transcript:{session.public_id}", settings.SAHAYAK_CHAT_TRANSCRIPTS_PER_HOUR, 3600
    ) or exceeded(
        f"chat-transcript-to:{address}", settings.SAHAYAK_CHAT_TRANSCRIPTS_PER_HOUR, 3600
    ):
        raise ChatError(_("A transcript was sent a moment ago; please try later."), code="rate")
    lines = [_("Transcript of conversation #%(n)d") % {"n": conversation.pk}, ""]
    for message in history(session)[-HISTORY_LIMIT:]:
        if message.conversation_id != conversation.pk:
            continue
        who = author_name(message) or _("You")
        stamp = message.created_at.strftime("%Y-%m-%d %H:%M UTC")
        lines.append(f"[{stamp}] {who}: {message.text}")
    return send_automatic(
        conversation=conversation,
        text="\n".join(lines),
        kind="transcript",
        channel="email",
        subject=_("Transcript of your chat with %(name)s") % {"name": session.inbox.name},
        to=address,
    )


def transcript_address(session: ChatSession) -> str:
    """An address a transcript may go to: a proven email of the contact (given with a
    signed identity from the business's site, or proven by a portal sign-in). Never an
    address merely typed in the chat: anyone could type someone else's."""
    verified = (
        Identity.objects.filter(contact=session.contact_id, kind="email", verified=True)
        .order_by("id")
        .values_list("address", flat=True)
        .first()
    )
    return str(verified or "")


# --- what the widget shows -------------------------------------------------------------------


def author_name(message: Message) -> str:
    if message.direction == Direction.INBOUND:
        return ""
    user = message.author_user
    if user is None:
        return ""
    return user.first_name or user.get_full_name() or user.username


def initials(name: str) -> str:
    parts = [p for p in name.split() if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


def attachment_url(session: ChatSession, attachment: Attachment) -> str:
    token = signing.dumps([session.public_id, attachment.pk], salt="chat-file", compress=True)
    return reverse("chat:file", args=[token])


def serialize(session: ChatSession, message: Message) -> dict[str, Any]:
    """A message as the widget renders it (as text: the widget never parses HTML)."""
    name = author_name(message)
    client_id = ""
    prefix = f"{session.public_id}:"
    if message.external_id and message.external_id.startswith(prefix):
        client_id = message.external_id[len(prefix) :]
    return {
        "id": message.pk,
        "from": "visitor" if message.direction == Direction.INBOUND else "agent",
        "bot": (message.metadata or {}).get("automatic") == "answer_bot",
        # A rating request: the widget offers the scale inline and posts the answer there.
        "survey": (message.metadata or {}).get("survey", "")
        if (message.metadata or {}).get("automatic") == "csat"
        else "",
        "client_id": client_id,
        "text": message.text,
        "author": name,
        "initials": initials(name) if name else "",
        "at": message.created_at.isoformat(),
        "status": message.delivery_status,
        "attachments": [
            {
                "name": a.filename,
                "size": a.size,
                "type": a.content_type,
                "url": attachment_url(session, a),
            }
            for a in message.attachments.all()
        ],
    }


def file_for_token(token: str) -> Attachment | None:
    """The attachment a signed link names, if the visitor who got the link may read it."""
    try:
        public_id, attachment_id = signing.loads(
            token, salt="chat-file", max_age=settings.SAHAYAK_CHAT_FILE_LINK_SECONDS
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    session = ChatSession.objects.filter(public_id=public_id).first()
    if session is None:
        return None
    message_ids = visible_messages(session).values("pk")
    return Attachment.objects.filter(pk=attachment_id, message__in=message_ids).first()


def sessions_of(conversation: Conversation) -> list[ChatSession]:
    """Every browser that shows this conversation: its own visitor (found by the thread key
    too, for answers sent before the session is linked, like the answer bot's), and the
    verified user's other devices."""
    mine = Q(conversation=conversation)
    if conversation.thread_key.startswith(THREAD_KEY_PREFIX):
        mine |= Q(public_id=conversation.thread_key.removeprefix(THREAD_KEY_PREFIX))
    return list(
        ChatSession.objects.filter(inbox=conversation.inbox_id).filter(
            mine | Q(contact=conversation.contact_id) & ~Q(verified_user_id="")
        )
    )


def visitor_of(conversation: Conversation) -> dict[str, Any] | None:
    """Where the chat visitor is, for the agent's side panel (None for other channels)."""
    if conversation.channel != "chat":
        return None
    session = (
        ChatSession.objects.filter(conversation=conversation).order_by("-last_seen_at").first()
    )
    if session is None:
        return None
    return {
        **{key: session.context.get(key, "") for key in CONTEXT_KEYS},
        "online": is_online(session),
        "last_seen_at": session.last_seen_at,
        "verified": bool(session.verified_user_id),
    }
