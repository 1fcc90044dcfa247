"""Conversations an agent starts: the business writes first, on a channel that allows it
(email first; a messaging channel with a reply window only within it, or by template)."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sahayak.accounts.models import User
from sahayak.contacts.models import Contact

from . import channels
from .events import EventKind, record
from .inbound import InboundAttachment
from .models import Conversation, Inbox, Status
from .services import ConversationError, reply


def start_channels(contact: Contact) -> list[str]:
    """Channels an agent can open a conversation with ``contact`` on: the channel may write
    first, has an active inbox, and knows the customer by one of their identities."""
    kinds = set(contact.identities.values_list("kind", flat=True))
    possible = [
        channel.kind
        for channel in channels.channels()
        if channel.capabilities.outbound_start and kinds.intersection(channel.identity_kinds)
    ]
    active = set(
        Inbox.objects.filter(channel__in=possible, is_active=True).values_list("channel", flat=True)
    )
    return [kind for kind in possible if kind in active]


@transaction.atomic
def start_conversation(
    *,
    author: User,
    contact: Contact,
    channel: str,
    text: str,
    subject: str = "",
    files: Sequence[InboundAttachment] = (),
) -> Conversation:
    """A new conversation, assigned to its author and waiting on the customer, whose first
    message is ``text`` (sent in the background like any reply)."""
    if channel not in start_channels(contact):
        raise ConversationError(
            _("A conversation cannot be started with this customer on %(channel)s.")
            % {"channel": channels.label(channel)}
        )
    if not text.strip() and not files:
        raise ConversationError(_("A reply needs some text."))
    inbox = Inbox.objects.filter(channel=channel, is_active=True).order_by("id").first()
    assert inbox is not None  # start_channels checked it
    now = timezone.now()
    first_line = text.strip().split("\n", 1)[0][:120]
    conversation = Conversation.objects.create(
        subject=(subject.strip() or first_line)[:300],
        channel=channel,
        inbox=inbox,
        contact=contact,
        team_id=inbox.team_id,
        language=contact.locale[:16],
        assignee=author,
        status=Status.PENDING,
        status_changed_at=now,
    )
    record(
        EventKind.CREATED,
        conversation,
        actor=author,
        old=None,
        new=Status.PENDING,
        channel=channel,
        started_by="agent",
    )
    reply(conversation=conversation, author=author, text=text, files=files, marked=True)
    return conversation
