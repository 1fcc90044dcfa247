"""Side conversations: from inside a customer's conversation, an email thread with a third
party (a supplier, another department), kept apart from the customer's thread.

Mail goes out of the conversation's mailbox (else the first one with an address) through
the integrations outbox (retries with backoff, status kept). Its Reply-To carries a signed
``+s<id>-…`` tag, and its Message-ID is ours: a reply comes back to this side conversation
by either, never into the customer's thread.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from sahayak.accounts.models import User
from sahayak.conversations.channels import DeliveryError
from sahayak.conversations.models import Conversation
from sahayak.conversations.services import ConversationError, email_list
from sahayak.integrations.outbox import enqueue_email

from .models import SideConversation, SideMessage
from .outbound import sending_mailbox
from .parsing import ParsedMail
from .thread_ids import split_plus

MAX_ADDRESSES = 10
_TOKEN = re.compile(r"^s(\d{1,18})-([a-z2-7]{16})$")


class SideError(ValueError):
    """The side conversation cannot go on as asked; the message says why."""


def _signature(side_id: int) -> str:
    key = settings.SECRET_KEY.encode()
    digest = hmac.new(key, f"side-token:{side_id}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode().lower()


def token(side_id: int) -> str:
    return f"s{side_id}-{_signature(side_id)}"


def side_from_token(tag: str) -> int | None:
    match = _TOKEN.match(tag.strip().lower())
    if not match or not hmac.compare_digest(match.group(2), _signature(int(match.group(1)))):
        return None
    return int(match.group(1))


def _addresses(values: Sequence[str]) -> list[str]:
    try:
        found = email_list([v.lower() for v in values], MAX_ADDRESSES)
    except ConversationError as exc:
        raise SideError(str(exc)) from exc
    if not found:
        raise SideError(_("Write at least one email address."))
    return found


@transaction.atomic
def start(
    *, conversation: Conversation, author: User, to: Sequence[str], subject: str, text: str
) -> SideConversation:
    side = SideConversation.objects.create(
        conversation=conversation,
        subject=(subject.strip() or conversation.subject)[:300],
        addresses=_addresses(to),
        created_by=author,
    )
    send(side=side, author=author, text=text)
    return side


@transaction.atomic
def send(*, side: SideConversation, author: User, text: str) -> SideMessage:
    """Write in the side conversation: mailed to its third parties, threaded."""
    if not text.strip():
        raise SideError(_("A reply needs some text."))
    try:
        mailbox = sending_mailbox(side.conversation.inbox.config)
    except DeliveryError as exc:
        raise SideError(exc.message) from exc
    address = str(mailbox["address"])
    local, _at, domain = address.partition("@")
    message = SideMessage.objects.create(
        side=side, direction="out", author_user=author, from_address=address, text=text
    )
    message.external_id = f"side.{side.pk}.{message.pk}.{_signature(message.pk)[:8]}@{domain}"
    earlier = list(
        side.messages.exclude(pk=message.pk)
        .exclude(external_id=None)
        .order_by("-id")
        .values_list("external_id", flat=True)[:10]
    )
    headers = {"Message-ID": f"<{message.external_id}>"}
    if earlier:
        headers["In-Reply-To"] = f"<{earlier[0]}>"
        headers["References"] = " ".join(f"<{ref}>" for ref in reversed(earlier))
    subject = side.subject if not earlier else f"Re: {side.subject}"
    name = author.get_full_name() or author.username
    message.outbox_item = enqueue_email(
        side.addresses[0],
        subject,
        text,
        also_to=side.addresses[1:],
        from_email=f"{name} <{address}>",
        reply_to=f"{local}+{token(side.pk)}@{domain}",
        headers=headers,
        source="side_conversation",
        conversation_id=side.conversation_id,
    )
    message.save(update_fields=["external_id", "outbox_item"])
    return message


def match(parsed: ParsedMail, recipients: Sequence[str]) -> SideConversation | None:
    """The side conversation an arriving mail answers: by the signed tag of the address it
    came to, else by the message it replies to."""
    for address in [*recipients, *parsed.delivered_to, *parsed.to, *parsed.cc]:
        side_id = side_from_token(split_plus(address)[1])
        if side_id is not None:
            found = SideConversation.objects.filter(pk=side_id).first()
            if found is not None:
                return found
    refs = [ref for ref in parsed.thread_refs if ref.startswith("side.")]
    if refs:
        hit = SideMessage.objects.filter(external_id__in=refs[-20:]).select_related("side").first()
        return hit.side if hit is not None else None
    return None


def store_reply(side: SideConversation, parsed: ParsedMail) -> tuple[SideMessage, bool]:
    """The third party's mail in the side conversation (once, by its Message-ID); whether
    it is new. The agents watching the conversation see it at once."""
    external_id = (parsed.message_id or "")[:255] or None
    if external_id:
        existing = SideMessage.objects.filter(external_id=external_id).first()
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            message = SideMessage.objects.create(
                side=side,
                direction="in",
                from_address=parsed.from_address[:320],
                text=parsed.text or "",
                external_id=external_id,
            )
    except IntegrityError:  # the same mail, delivered twice at once
        return SideMessage.objects.get(external_id=external_id), False
    conversation = side.conversation
    transaction.on_commit(lambda: _announce(conversation))
    return message, True


def _announce(conversation: Conversation) -> None:
    from sahayak.realtime import groups
    from sahayak.realtime.broadcast import conversation_event
    from sahayak.realtime.publish import group_send

    group_send(groups.AGENTS, conversation_event("updated", conversation, fields=["side"]))


def of_conversation(conversation: Conversation) -> list[SideConversation]:
    """The conversation's side conversations with their messages (two queries)."""
    sides = list(
        SideConversation.objects.filter(conversation=conversation)
        .order_by("-id")
        .prefetch_related("messages__outbox_item", "messages__author_user")[:20]
    )
    return sides
