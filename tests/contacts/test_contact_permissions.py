"""Who a customer is (identities, merges) can only be changed by an agent who may see all
of that customer's conversations: otherwise an added address would open the customer
portal to someone, on conversations of a private team the agent cannot read."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from sahayak.accounts.models import AuditEvent
from sahayak.contacts.models import Identity
from sahayak.contacts.services import merge_contacts
from tests.conftest import client_for
from tests.factories import ContactFactory, ConversationFactory, IdentityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def vip_customer(private_team: Any) -> Any:
    contact = ContactFactory(name="Meera")
    IdentityFactory(contact=contact, address="meera@mail.example")
    ConversationFactory(contact=contact, team=private_team, subject="Private matter")
    return contact


def test_an_outsider_cannot_add_an_identity_or_merge_a_private_customer(
    vip_customer: Any, outsider: Any
) -> None:
    api = client_for(outsider)
    added = api.patch(
        f"/api/v1/contacts/{vip_customer.pk}",
        {"add_identities": [{"kind": "email", "address": "mallory@evil.example"}]},
    )
    assert added.status_code == 403 and "private team" in added.json()["detail"]
    assert not Identity.objects.filter(address="mallory@evil.example").exists()
    decoy = ContactFactory()
    merged = api.post(f"/api/v1/contacts/{decoy.pk}/merge", {"source_id": vip_customer.pk})
    assert merged.status_code == 403
    vip_customer.refresh_from_db()
    assert vip_customer.merged_into_id is None


def test_the_workspace_refuses_the_merge_too(vip_customer: Any, outsider: Any) -> None:
    client = Client()
    client.force_login(outsider)
    decoy = ContactFactory()
    client.post(f"/contacts/{decoy.pk}/merge/", {"other": "meera@mail.example"})
    vip_customer.refresh_from_db()
    assert vip_customer.merged_into_id is None


def test_a_team_member_or_supervisor_may_and_the_change_is_audited(
    vip_customer: Any, teammate: Any, admin: Any
) -> None:
    response = client_for(teammate).patch(
        f"/api/v1/contacts/{vip_customer.pk}",
        {"add_identities": [{"kind": "phone", "address": "+30 694 123 4567"}]},
    )
    assert response.status_code == 200
    audit = AuditEvent.objects.filter(action="contact.identity_added").latest("id")
    assert audit.actor == teammate and audit.data["address"] == "+306941234567"
    assert not Identity.objects.get(address="+306941234567").verified
    decoy = ContactFactory()
    merged = client_for(admin).post(
        f"/api/v1/contacts/{vip_customer.pk}/merge", {"source_id": decoy.pk}
    )
    assert merged.status_code == 200


def test_an_outsider_cannot_undo_a_merge_of_a_private_customer(
    vip_customer: Any, outsider: Any, admin: Any
) -> None:
    merge = merge_contacts(source=ContactFactory(), target=vip_customer, actor=admin)
    response = client_for(outsider).post(f"/api/v1/contacts/merges/{merge.pk}/undo")
    assert response.status_code == 403
