"""Merging two contacts moves everything of the customer, is audited, and can be undone."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from sahayak.accounts.models import AuditEvent
from sahayak.contacts.models import Contact, Identity
from sahayak.contacts.services import (
    MergeError,
    OrderData,
    merge_contacts,
    resolve_contact,
    undo_contact_merge,
    upsert_order,
)
from tests.factories import ConversationFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def _customer(kind, address, name=""):
    contact, _ = resolve_contact(kind=kind, address=address, name=name)
    return contact


def test_merge_moves_identities_conversations_and_orders_and_undo_restores(admin):
    by_email = _customer("email", "meera@mail.example", "Meera")
    by_phone = _customer("phone", "+919812345678")
    by_phone.locale = "hi"
    by_phone.custom_attributes = {"plan": "gold"}
    by_phone.save()
    conv = ConversationFactory(contact=by_phone)
    order, _ = upsert_order(
        contact=by_phone,
        data=OrderData("ORD-1", Decimal("10.50"), "INR", datetime(2026, 1, 2, tzinfo=UTC)),
    )

    merge = merge_contacts(source=by_phone, target=by_email, actor=admin)

    by_email.refresh_from_db()
    assert set(by_email.identities.values_list("kind", flat=True)) == {"email", "phone"}
    assert by_email.conversations.get() == conv
    assert by_email.orders.get() == order
    assert by_email.locale == "hi"
    assert by_email.custom_attributes == {"plan": "gold"}
    assert Contact.objects.get(pk=by_phone.pk).merged_into_id == by_email.pk
    audit = AuditEvent.objects.get(action="contact.merged")
    assert audit.actor == admin and audit.data["source"] == by_phone.pk
    # The phone now resolves to the surviving contact.
    assert _customer("phone", "+91 98123 45678").pk == by_email.pk

    restored = undo_contact_merge(merge=merge, actor=admin)

    by_email.refresh_from_db()
    assert restored.pk == by_phone.pk and restored.merged_into_id is None
    assert Identity.objects.get(kind="phone").contact_id == by_phone.pk
    assert conv.__class__.objects.get(pk=conv.pk).contact_id == by_phone.pk
    assert order.__class__.objects.get(pk=order.pk).contact_id == by_phone.pk
    assert by_email.locale == "" and by_email.custom_attributes == {}
    assert AuditEvent.objects.filter(action="contact.merge_undone").count() == 1


def test_merge_keeps_what_the_target_already_has():
    org_a, org_b = OrganizationFactory(), OrganizationFactory()
    target = _customer("email", "a@mail.example", "Target Name")
    target.organization = org_a
    target.save()
    source = _customer("email", "b@mail.example", "Source Name")
    source.organization = org_b
    source.save()
    merge_contacts(source=source, target=target, actor=None)
    target.refresh_from_db()
    assert target.name == "Target Name" and target.organization == org_a


def test_merge_refuses_self_and_twice_and_undo_refuses_twice():
    a = _customer("email", "a@mail.example")
    b = _customer("email", "b@mail.example")
    with pytest.raises(MergeError):
        merge_contacts(source=a, target=a, actor=None)
    merge = merge_contacts(source=a, target=b, actor=None)
    with pytest.raises(MergeError):
        merge_contacts(source=a, target=b, actor=None)
    undo_contact_merge(merge=merge, actor=None)
    with pytest.raises(MergeError):
        undo_contact_merge(merge=merge, actor=None)


def test_undo_refuses_when_the_target_was_merged_again_since():
    a, b, c = (_customer("email", f"{n}@mail.example") for n in "abc")
    first = merge_contacts(source=a, target=b, actor=None)
    merge_contacts(source=b, target=c, actor=None)
    with pytest.raises(MergeError):
        undo_contact_merge(merge=first, actor=None)


def test_undo_moves_back_what_the_split_identities_wrote_while_merged(admin, api_inbox):
    from sahayak.conversations.models import Conversation, Message
    from sahayak.conversations.pipeline import receive
    from tests.conftest import inbound

    meera = _customer("email", "meera@mail.example", "Meera")
    other = _customer("email", "ravi@mail.example", "Ravi")
    merge = merge_contacts(source=other, target=meera, actor=admin)
    # While merged, Ravi's address opens a conversation and writes into Meera's.
    ravis = receive(inbound(api_inbox, sender_address="ravi@mail.example", text="Ravi here"))
    meeras = receive(inbound(api_inbox, sender_address="meera@mail.example", text="Meera here"))
    into_hers = receive(
        inbound(
            api_inbox,
            sender_address="ravi@mail.example",
            text="Adding to Meera's question",
            conversation_id=meeras.conversation.pk,
        )
    )
    assert ravis.conversation.contact_id == meera.pk

    undo_contact_merge(merge=merge, actor=admin)

    assert Conversation.objects.get(pk=ravis.conversation.pk).contact_id == other.pk
    assert Conversation.objects.get(pk=meeras.conversation.pk).contact_id == meera.pk
    assert Message.objects.get(pk=into_hers.message.pk).author_contact_id == other.pk
    assert Message.objects.get(pk=meeras.message.pk).author_contact_id == meera.pk
