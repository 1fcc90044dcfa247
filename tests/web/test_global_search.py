"""The workspace's search finds what agents look up, grouped by kind: a conversation by
number, a customer by name, email or phone in any spelling, an order by its exact
reference, tags; and never a conversation the agent may not see."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from sahayak.contacts.models import Order
from sahayak.conversations.lookup import lookup
from sahayak.conversations.models import Tag
from tests.factories import ContactFactory, ConversationFactory, IdentityFactory
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def priya(db: Any) -> Any:
    contact = ContactFactory(name="Priya Sharma")
    IdentityFactory(contact=contact, kind="email", address="priya@mail.example")
    IdentityFactory(contact=contact, kind="phone", address="+919876543210")
    return contact


def test_a_customer_is_found_by_any_part_of_their_name_email_or_phone(
    admin: Any, priya: Any, settings: Any
) -> None:
    settings.SAHAYAK_PHONE_REGION = ""
    ContactFactory(name="Ravi Kumar")
    for query in (
        "Priya",
        "sharma",
        "PRIYA@mail.example",
        "+91 98765 43210",
        "98765-43210",
        "0091 9876543210",
    ):
        assert [c.pk for c in lookup(admin, query).contacts] == [priya.pk], query
    assert lookup(admin, "ऑर्डर").contacts == []


def test_a_conversation_by_number_only_when_visible(
    admin: Any, outsider: Any, private_team: Any
) -> None:
    open_one = ConversationFactory(subject="Broken zip")
    hidden = ConversationFactory(subject="VIP", team=private_team)
    assert [c.pk for c in lookup(admin, f"#{open_one.pk}").conversations] == [open_one.pk]
    assert [c.pk for c in lookup(admin, str(hidden.pk)).conversations] == [hidden.pk]
    assert lookup(outsider, f"#{hidden.pk}").conversations == []


def test_an_order_by_its_exact_reference_and_tags_by_name(admin: Any, priya: Any) -> None:
    when = datetime(2026, 11, 1, tzinfo=UTC)
    for ref in ("ORD-1042", "ORD-10421", "XORD-1042"):
        Order.objects.create(
            contact=priya, external_ref=ref, amount=Decimal(5), currency="INR", ordered_at=when
        )
    assert [o.external_ref for o in lookup(admin, "ord-1042").orders] == ["ORD-1042"]
    assert [o.external_ref for o in lookup(admin, "#ORD-10421").orders] == ["ORD-10421"]
    Tag.objects.create(name="refund")
    Tag.objects.create(name="रिफंड")
    assert [t.name for t in lookup(admin, "#ref").tags] == ["refund"]
    assert [t.name for t in lookup(admin, "रिफंड").tags] == ["रिफंड"]


def test_the_search_page_groups_results_by_kind(admin: Any, priya: Any) -> None:
    conversation = ConversationFactory(subject="Late parcel", contact=priya)
    html = signed_in(admin).get("/search/", {"q": f"#{conversation.pk}"}).content.decode()
    assert "Conversations" in html and "Late parcel" in html
    html = signed_in(admin).get("/search/", {"q": "priya"}).content.decode()
    assert "Customers" in html and f"/contacts/{priya.pk}/" in html
