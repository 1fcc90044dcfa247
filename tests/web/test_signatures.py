"""Signatures under email replies: the agent's and the mailbox's, in the customer's language."""

import pytest

from sahayak.conversations.models import Message
from tests.factories import ConversationFactory, IdentityFactory, InboxFactory

from .conftest import signed_in

pytestmark = pytest.mark.django_db


def email_conversation(locale=""):
    identity = IdentityFactory(kind="email", address="meera@mail.example")
    identity.contact.locale = locale
    identity.contact.save()
    inbox = InboxFactory(channel="email", config={"address": "help@shop.example"})
    return ConversationFactory(channel="email", inbox=inbox, contact=identity.contact)


def test_signatures_in_the_customers_language_go_under_an_email_reply(web, admin):
    conversation = email_conversation(locale="fr")
    web.post("/profile/signatures/", {"text-any": "Asha, Support", "text-fr": "Asha, le support"})
    web.post(
        "/profile/signatures/",
        {"inbox": conversation.inbox_id, "text-any": "Shop Ltd", "text-fr": "Boutique SARL"},
    )
    web.post(
        f"/c/{conversation.pk}/reply/",
        {"kind": "reply", "text": "Votre colis part **demain**.", "channel": "email"},
    )
    message = Message.objects.get()
    assert message.text.endswith("demain.\n\nAsha, le support\n\nBoutique SARL")
    assert "Boutique SARL" in message.html


def test_a_language_without_its_own_uses_the_one_for_any_language(web):
    conversation = email_conversation(locale="el")
    web.post("/profile/signatures/", {"text-any": "Asha, Support", "text-fr": "Asha, le support"})
    web.post(f"/c/{conversation.pk}/reply/", {"kind": "reply", "text": "OK", "channel": "email"})
    assert Message.objects.get().text.endswith("Asha, Support")


def test_notes_and_other_channels_are_not_signed(web):
    web.post("/profile/signatures/", {"text-any": "Asha, Support"})
    conversation = ConversationFactory(channel="api")
    web.post(f"/c/{conversation.pk}/reply/", {"kind": "reply", "text": "OK"})
    web.post(f"/c/{conversation.pk}/reply/", {"kind": "note", "text": "Internal"})
    assert all("Asha, Support" not in m.text for m in Message.objects.all())


def test_only_administrators_set_a_mailboxs_signature(outsider):
    inbox = InboxFactory(channel="email")
    response = signed_in(outsider).post(
        "/profile/signatures/", {"inbox": inbox.pk, "text-any": "Hijacked"}
    )
    assert response.status_code == 403
    assert not inbox.signatures.exists()
