"""Possible duplicates are suggested with their reasons (a phone in a signature, an order
someone else placed, the same name at the same organization), merged with one click and
undoably, or dismissed for good; never merged automatically."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from sahayak.contacts.duplicates import dismiss, suggestions_for
from sahayak.contacts.models import Contact, ContactMerge, Order
from sahayak.contacts.services import resolve_contact
from sahayak.conversations.pipeline import receive
from tests.conftest import inbound
from tests.factories import ContactFactory, OrganizationFactory
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db


def customer(kind: str, address: str, name: str = "") -> Contact:
    return resolve_contact(kind=kind, address=address, name=name)[0]


def test_a_phone_in_a_signature_and_a_mentioned_order_suggest_the_owner(api_inbox: Any) -> None:
    by_phone = customer("phone", "+919876543210", "Asha Rao")
    Order.objects.create(
        contact=by_phone,
        external_ref="ORD-1042",
        amount=Decimal(10),
        currency="INR",
        ordered_at=datetime(2026, 11, 1, tzinfo=UTC),
    )
    receive(
        inbound(
            api_inbox,
            sender_address="asha.work@mail.example",
            text="Where is order ORD-1042?\n\n--\nAsha Rao\nMobile: +91 98765 43210",
        )
    )
    newcomer = Contact.objects.get(identities__address="asha.work@mail.example")
    (found,) = suggestions_for(newcomer)
    assert found.contact == by_phone and len(found.reasons) == 2
    assert Contact.objects.filter(merged_into__isnull=False).count() == 0  # only suggested


def test_same_name_and_organization_and_dismissal() -> None:
    shop = OrganizationFactory(name="Acme")
    first = ContactFactory(name="Ravi  Kumar", organization=shop)
    second = ContactFactory(name="ravi kumar", organization=shop)
    ContactFactory(name="Ravi Kumar")  # no organization: not enough
    assert [s.contact for s in suggestions_for(first)] == [second]
    dismiss(second, first)
    assert suggestions_for(first) == [] and suggestions_for(second) == []


def test_one_click_merge_from_the_suggestion_can_be_undone(admin: Any) -> None:
    shop = OrganizationFactory(name="Acme")
    first = ContactFactory(name="Ravi Kumar", organization=shop)
    second = ContactFactory(name="Ravi Kumar", organization=shop)
    web = signed_in(admin)
    page = web.get(f"/contacts/{first.pk}/").content.decode()
    assert "Possibly the same person" in page and "same name and organization" in page
    web.post(f"/contacts/{first.pk}/merge/", {"source_id": second.pk})
    assert Contact.objects.get(pk=second.pk).merged_into_id == first.pk
    merge = ContactMerge.objects.get()
    web.post(f"/contacts/merges/{merge.pk}/undo/")
    assert Contact.objects.get(pk=second.pk).merged_into_id is None
