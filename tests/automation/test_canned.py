"""Canned replies: the customer's language chosen without the agent choosing it, a visible
note on fallback, placeholders from the customer's profile and orders, who sees what."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from sahayak.automation import canned
from sahayak.automation.models import CannedReply
from sahayak.contacts.models import Identity, Order
from tests.factories import ContactFactory, ConversationFactory, UserFactory

pytestmark = pytest.mark.django_db


def refund_policy(owner=None) -> CannedReply:
    return canned.save_reply(
        CannedReply(title="Refund policy", shortcut="ref", owner=owner, default_language="en"),
        [
            (
                "en",
                "Hello {{ customer.first_name }}, refunds take 5 days. — {{ agent.first_name }}",
            ),
            (
                "fr",
                "Bonjour {{ customer.first_name }}, un remboursement prend 5 jours. — {{ agent.first_name }}",
            ),
        ],
    )


def test_a_french_customer_gets_the_french_text_from_an_english_speaking_agent():
    agent = UserFactory(first_name="Maya", locale="en")
    conversation = ConversationFactory(contact=ContactFactory(name="Élodie Martin", locale="fr-FR"))
    ready = canned.for_customer(refund_policy(), conversation, agent)
    assert ready.text == "Bonjour Élodie, un remboursement prend 5 jours. — Maya"
    assert ready.language == "fr" and ready.note == "" and ready.missing == ()


def test_a_hindi_customer_falls_back_to_english_with_a_note_for_the_agent():
    agent = UserFactory(first_name="Maya")
    conversation = ConversationFactory(
        contact=ContactFactory(name="अनीता शर्मा", locale="hi"), language="hi"
    )
    ready = canned.for_customer(refund_policy(), conversation, agent)
    assert ready.text.startswith("Hello अनीता,")
    assert ready.language == "en" and ready.wanted == "hi"
    assert "Hindi" in ready.note and "English" in ready.note


def test_the_conversations_language_wins_over_the_contacts():
    conversation = ConversationFactory(contact=ContactFactory(locale="en"), language="fr")
    assert canned.for_customer(refund_policy(), conversation, UserFactory()).language == "fr"


def test_order_and_contact_placeholders_and_missing_values_are_reported():
    contact = ContactFactory(name="Rahul", custom_attributes={"plan": "Gold"})
    Identity.objects.create(contact=contact, kind="email", address="rahul@mail.example")
    Order.objects.create(
        contact=contact,
        external_ref="SO-77",
        amount=Decimal("1499.00"),
        currency="INR",
        status="shipped",
        ordered_at=datetime(2026, 11, 30, tzinfo=UTC),
    )
    reply = canned.save_reply(
        CannedReply(title="Order", default_language="en"),
        [
            (
                "en",
                "{{ order.latest.reference }} {{ order.latest.amount }} {{ order.latest.status }} "
                "{{ customer.email }} {{ customer.attributes.plan }} {{ customer.phone }}",
            )
        ],
    )
    ready = canned.for_customer(reply, ConversationFactory(contact=contact), UserFactory())
    assert ready.text == "SO-77 1499.00 INR shipped rahul@mail.example Gold "
    assert ready.missing == ("customer.phone",)


def test_a_text_with_an_unknown_placeholder_is_not_saved():
    with pytest.raises(canned.CannedReplyError, match="placeholder"):
        canned.save_reply(CannedReply(title="Bad"), [("en", "{{ settings.SECRET_KEY }}")])
    assert not CannedReply.objects.exists()


def test_search_by_shortcut_or_title_in_any_script_and_who_sees_what():
    mine, other = UserFactory(), UserFactory()
    refund_policy()
    canned.save_reply(CannedReply(title="रिफंड की स्थिति", owner=mine), [("hi", "...")])
    canned.save_reply(CannedReply(title="Private refund note", owner=other), [("en", "...")])
    assert [r.title for r in canned.search(mine, "/ref")] == ["Refund policy"]
    assert [r.title for r in canned.search(mine, "रिफंड")] == ["रिफंड की स्थिति"]
    assert "Private refund note" not in [r.title for r in canned.search(mine, "refund")]
    assert [r.title for r in canned.search(other, "REFUND")] == [
        "Private refund note",
        "Refund policy",
    ]
