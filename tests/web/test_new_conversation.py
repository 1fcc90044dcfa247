"""Conversations the agent starts: by email to a typed address, or from a contact's page on
any channel that may write first; a messaging channel's rules still hold."""

import pytest

from sahayak.contacts.models import Identity
from sahayak.conversations.models import Conversation, Direction, Event, Message
from tests.factories import ContactFactory, IdentityFactory, InboxFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mailbox(db):
    return InboxFactory(channel="email", config={"address": "help@shop.example"})


def test_a_conversation_to_a_typed_address_finds_or_creates_the_customer(web, admin, mailbox):
    response = web.post(
        "/c/new/",
        {"to": "Nikos@Mail.example", "subject": "Your refund", "text": "It is **on its way**."},
    )
    conversation = Conversation.objects.get()
    assert response["Location"] == f"/c/{conversation.pk}/"
    assert conversation.channel == "email" and conversation.inbox == mailbox
    assert conversation.status == "pending" and conversation.assignee == admin
    assert conversation.subject == "Your refund"
    identity = Identity.objects.get(kind="email")
    assert identity.address == "nikos@mail.example" and identity.contact == conversation.contact
    message = Message.objects.get()
    assert message.direction == Direction.OUTBOUND and message.delivery_status == "pending"
    assert "<strong>on its way</strong>" in message.html
    assert Event.objects.filter(conversation=conversation, kind="created").exists()
    # The same address again: the same customer.
    web.post("/c/new/", {"to": "nikos@mail.example", "text": "One more thing"})
    assert Identity.objects.count() == 1 and Conversation.objects.count() == 2


def test_a_contact_page_offers_the_channels_that_reach_the_customer(web, mailbox):
    InboxFactory(channel="sms")
    contact = ContactFactory()
    IdentityFactory(contact=contact, kind="phone", address="+919812345678")
    IdentityFactory(contact=contact, kind="email", address="meera@mail.example")
    body = web.get("/c/new/", {"contact": contact.pk}).content.decode()
    assert 'value="email"' in body and 'value="sms"' in body
    assert "/c/new/?contact=" in web.get(f"/contacts/{contact.pk}/").content.decode()
    web.post("/c/new/", {"contact": contact.pk, "channel": "sms", "text": "Your parcel left."})
    assert Conversation.objects.get().channel == "sms"


def test_a_messaging_channel_outside_its_window_is_refused_and_nothing_is_kept(web):
    InboxFactory(channel="whatsapp")
    contact = ContactFactory()
    IdentityFactory(contact=contact, kind="whatsapp", address="+919812345678")
    body = web.post(
        "/c/new/", {"contact": contact.pk, "channel": "whatsapp", "text": "Hello!"}
    ).content.decode()
    assert 'role="alert"' in body
    assert not Conversation.objects.exists() and not Message.objects.exists()


def test_a_wrong_address_or_a_missing_mailbox_gets_a_clear_error(web):
    body = web.post("/c/new/", {"to": "not an address", "text": "Hi"}).content.decode()
    assert "email address" in body and not Conversation.objects.exists()
    body = web.post("/c/new/", {"to": "meera@mail.example", "text": "Hi"}).content.decode()
    assert "cannot be started" in body and not Conversation.objects.exists()
