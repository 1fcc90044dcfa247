"""Agent replies to chat visitors: pushed live, or by email once the visitor has left."""

from __future__ import annotations

from sahayak.connectors.email.outbound import send_by_email
from sahayak.conversations.channels import ChannelAdapter, OutboundMessage, SendResult
from sahayak.conversations.models import Message

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
                return send_by_email(message, address=address)
        for session in sessions:
            live.push([session.public_id], services.serialize(session, stored))
        return SendResult()
