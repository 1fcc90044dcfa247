"""Agent replies to chat visitors: pushed live, or by email once the visitor has left."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.utils.translation import gettext as _

from sahayak.connectors.base import ChannelAdapter, DeliveryError, OutboundMessage, SendResult
from sahayak.connectors.registry import UnknownChannel, get_adapter
from sahayak.conversations.models import Inbox, Message

from . import live, services
from .config import chat_settings


class ChatAdapter(ChannelAdapter):
    kind = "chat"
    # Sent by the process that stored the reply, right after commit: a chat answer must
    # reach the open widget in milliseconds, not at the worker's next poll.
    instant = True

    def send(self, message: OutboundMessage) -> SendResult:
        stored = (
            Message.objects.select_related("conversation", "conversation__inbox", "author_user")
            .prefetch_related("attachments")
            .get(pk=message.message_id)
        )
        conversation = stored.conversation
        sessions = services.sessions_of(conversation)
        online = [s for s in sessions if services.is_online(s)]
        offline_email = chat_settings(conversation.inbox).offline_email
        if not online and offline_email:
            # The visitor has gone (or the chat came in without a widget session, as
            # imported or demo chats do): the contact's email, if there is one.
            address = (
                services.reply_email(sessions[0])
                if sessions
                else services.contact_email(conversation.contact_id)
            )
            if address:
                return self._by_email(message, address)
        for session in sessions:
            live.push([session.public_id], services.serialize(session, stored))
        return SendResult()

    def _by_email(self, message: OutboundMessage, address: str) -> SendResult:
        """The visitor has gone: the conversation continues by email (replies thread back
        by the reply token into the same conversation)."""
        try:
            email = get_adapter("email")
        except UnknownChannel:
            raise DeliveryError(_("No email channel is set up."), permanent=True) from None
        return email.send(
            replace(
                message,
                inbox_config=_sending_mailbox(message.inbox_config),
                recipients={**message.recipients, "email": [address]},
            )
        )


def _sending_mailbox(chat_config: dict[str, Any]) -> dict[str, Any]:
    if chat_config.get("address"):
        return chat_config
    mailbox = (
        Inbox.objects.filter(channel="email", is_active=True)
        .order_by("id")
        .values_list("config", flat=True)
        .first()
    )
    if not mailbox:
        raise DeliveryError(
            _("The visitor has left and no mailbox is set up to answer by email."),
            permanent=True,
        )
    return dict(mailbox)
