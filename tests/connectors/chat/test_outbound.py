"""Agents' replies to chat visitors: live to an open widget, by email once the visitor left."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sahayak.connectors.chat import services
from sahayak.connectors.chat.models import ChatSession
from sahayak.connectors.email.mailboxes import MailboxSettings, save_mailbox
from sahayak.conversations import services as conversations
from sahayak.conversations.models import DeliveryStatus

pytestmark = pytest.mark.django_db(transaction=True)


def _chat(inbox, *, email: str = "", seen_ago: timedelta = timedelta()) -> ChatSession:
    session, _token = services.start_session(inbox=inbox, context={})
    services.post_message(session=session, client_id="q1", text="Do you ship to Crete?")
    if email:
        services.update_details(session=session, email=email)
    ChatSession.objects.filter(pk=session.pk).update(last_seen_at=timezone.now() - seen_ago)
    session.refresh_from_db()
    return session


def test_a_visitor_who_left_gets_the_reply_by_email_and_can_answer_it(chat_inbox, admin, smtp_sink):
    save_mailbox(MailboxSettings(name="Support", address="help@shop.example", from_name="Shop"))
    session = _chat(chat_inbox, email="eleni@mail.example", seen_ago=timedelta(hours=1))
    reply = conversations.reply(
        conversation=session.conversation, author=admin, text="Yes, in 3 days."
    )
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT, reply.delivery_error
    mail = smtp_sink.parsed()
    assert mail["To"] == "eleni@mail.example"
    assert mail["From"].addresses[0].addr_spec == "help@shop.example"
    assert "Yes, in 3 days." in mail.get_body(("plain",)).get_content()
    assert reply.external_id  # the Message-ID an answer will thread on


def test_a_visitor_still_here_gets_the_reply_live_not_by_email(chat_inbox, admin, smtp_sink):
    save_mailbox(MailboxSettings(name="Support", address="help@shop.example", from_name="Shop"))
    session = _chat(chat_inbox, email="eleni@mail.example")
    reply = conversations.reply(conversation=session.conversation, author=admin, text="Yes!")
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT
    assert smtp_sink.messages == []


def test_without_an_email_address_the_reply_waits_in_the_chat(chat_inbox, admin, smtp_sink):
    session = _chat(chat_inbox, seen_ago=timedelta(hours=1))
    reply = conversations.reply(conversation=session.conversation, author=admin, text="Yes!")
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT  # shown when the visitor comes back
    assert [m.text for m in services.history(session)][-1] == "Yes!"
    assert smtp_sink.messages == []


def test_offline_email_can_be_turned_off_per_inbox(chat_inbox, admin, smtp_sink):
    chat_inbox.config = {**chat_inbox.config, "offline_email": False}
    chat_inbox.save()
    save_mailbox(MailboxSettings(name="Support", address="help@shop.example", from_name="Shop"))
    session = _chat(chat_inbox, email="eleni@mail.example", seen_ago=timedelta(hours=1))
    conversations.reply(conversation=session.conversation, author=admin, text="Yes!")
    assert smtp_sink.messages == []


def test_a_chat_without_a_widget_session_is_answered_at_the_contacts_email(
    chat_inbox, admin, smtp_sink
):
    from sahayak.conversations.pipeline import receive
    from tests.conftest import inbound

    save_mailbox(MailboxSettings(name="Support", address="help@shop.example", from_name="Shop"))
    chat = receive(inbound(chat_inbox, sender_address="nikos@mail.example", external_id="old"))
    reply = conversations.reply(conversation=chat.conversation, author=admin, text="Sorted!")
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT, reply.delivery_error
    assert smtp_sink.parsed()["To"].addresses[0].addr_spec == "nikos@mail.example"
