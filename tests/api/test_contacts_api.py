"""Contacts, organizations, orders and inbound over the API."""

import pytest

from sahayak.conversations.models import Conversation, Message

pytestmark = pytest.mark.django_db


def test_create_lookup_update_and_delete_a_contact(api, settings):
    settings.SAHAYAK_PHONE_REGION = "GR"
    created = api.post(
        "/api/v1/contacts",
        {
            "name": "Ελένη Γεωργίου",
            "locale": "el",
            "time_zone": "Europe/Athens",
            "identities": [
                {"kind": "email", "address": "Eleni@Mail.example"},
                {"kind": "phone", "address": "694 123 4567"},
            ],
        },
    )
    assert created.status_code == 201, created.content
    contact_id = created.json()["id"]
    found = api.get("/api/v1/contacts/lookup?kind=phone&address=%2B30%20694%201234567")
    assert found.status_code == 200 and found.json()["id"] == contact_id
    assert (
        api.get("/api/v1/contacts/lookup?kind=email&address=ELENI@mail.example").json()["id"]
        == contact_id
    )
    assert (
        api.get("/api/v1/contacts/lookup?kind=email&address=nobody@mail.example").status_code == 404
    )
    assert api.get("/api/v1/contacts/lookup?kind=phone&address=abc").status_code == 422
    patched = api.patch(
        f"/api/v1/contacts/{contact_id}",
        {"name": "Ελένη Γ.", "add_identities": [{"kind": "telegram", "address": "@EleniG"}]},
    )
    assert patched.json()["name"] == "Ελένη Γ."
    assert {i["kind"] for i in patched.json()["identities"]} == {"email", "phone", "telegram"}
    assert api.get("/api/v1/contacts?q=Ελένη").json()["items"][0]["id"] == contact_id
    assert api.delete(f"/api/v1/contacts/{contact_id}").status_code == 204


def test_identity_owned_by_another_contact_is_a_conflict(api):
    api.post("/api/v1/contacts", {"identities": [{"kind": "email", "address": "a@mail.example"}]})
    response = api.post(
        "/api/v1/contacts", {"identities": [{"kind": "email", "address": "A@mail.example"}]}
    )
    assert response.status_code == 409 and "merge" in response.json()["detail"]


def test_invalid_identity_is_422(api):
    response = api.post("/api/v1/contacts", {"identities": [{"kind": "email", "address": "nope"}]})
    assert response.status_code == 422


def test_contact_with_conversations_cannot_be_deleted(api, api_inbox):
    api.post(
        "/api/v1/inbound",
        {
            "inbox_id": api_inbox.pk,
            "external_id": "1",
            "sender": {"address": "c@mail.example"},
            "text": "hello",
        },
    )
    contact = api.get("/api/v1/contacts/lookup?kind=email&address=c@mail.example").json()
    assert api.delete(f"/api/v1/contacts/{contact['id']}").status_code == 409


def test_merge_and_undo_contacts_over_the_api(api, api_inbox):
    a = api.post(
        "/api/v1/contacts", {"identities": [{"kind": "email", "address": "a@mail.example"}]}
    ).json()
    b = api.post(
        "/api/v1/contacts", {"identities": [{"kind": "phone", "address": "+33612345678"}]}
    ).json()
    merged = api.post(f"/api/v1/contacts/{a['id']}/merge", {"source_id": b["id"]})
    assert merged.status_code == 200
    assert len(api.get(f"/api/v1/contacts/{a['id']}").json()["identities"]) == 2
    assert api.post(f"/api/v1/contacts/{a['id']}/merge", {"source_id": a["id"]}).status_code == 409
    undone = api.post(f"/api/v1/contacts/merges/{merged.json()['merge_id']}/undo")
    assert undone.status_code == 200 and undone.json()["id"] == b["id"]
    assert len(undone.json()["identities"]) == 1


def test_organizations_crud(api):
    org = api.post(
        "/api/v1/organizations", {"name": "Maison Lumière", "domain": "Lumiere.Example"}
    ).json()
    assert org["domain"] == "lumiere.example"
    assert api.get(f"/api/v1/organizations/{org['id']}").json()["name"] == "Maison Lumière"
    assert api.get("/api/v1/organizations?q=Maison").json()["items"][0]["id"] == org["id"]
    assert api.post("/api/v1/organizations", {"name": ""}).status_code == 422
    assert api.delete(f"/api/v1/organizations/{org['id']}").status_code == 204


def test_orders_upsert_list_and_csv_import(api):
    contact = api.post("/api/v1/contacts", {"name": "Léa"}).json()
    body = {
        "contact_id": contact["id"],
        "external_ref": "W-1",
        "amount": "19.99",
        "currency": "eur",
        "ordered_at": "2026-05-01T10:00:00Z",
        "items": [{"name": "Veste"}],
    }
    assert api.post("/api/v1/orders", body).status_code == 201
    assert api.post("/api/v1/orders", {**body, "status": "shipped"}).status_code == 200
    listed = api.get(f"/api/v1/orders?contact_id={contact['id']}").json()["items"]
    assert len(listed) == 1 and listed[0]["status"] == "shipped" and listed[0]["currency"] == "EUR"
    assert api.post("/api/v1/orders", {**body, "currency": "EU1"}).status_code == 422
    assert api.post("/api/v1/orders", {**body, "amount": "lots"}).status_code == 422

    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = (
        "external_ref,email,name,amount,currency,ordered_at\n"
        "W-2,lea@mail.example,Léa,5.00,EUR,2026-05-02T00:00:00\n"
    ).encode()
    response = api.client.post(
        "/api/v1/orders/import", {"file": SimpleUploadedFile("o.csv", csv)}, **api.headers
    )
    assert response.json() == {"created": 1, "updated": 0, "errors": []}
    latin1 = SimpleUploadedFile("o.csv", "external_ref,email\nÉ,é@x.example\n".encode("latin-1"))
    assert (
        api.client.post("/api/v1/orders/import", {"file": latin1}, **api.headers).status_code == 400
    )


def test_inbound_endpoint_is_idempotent_and_threads(api, api_inbox):
    body = {
        "inbox_id": api_inbox.pk,
        "external_id": "sms-1",
        "sender": {"kind": "email", "address": "x@mail.example"},
        "text": "Γεια σας",
        "thread_key": "t-1",
    }
    first = api.post("/api/v1/inbound", body)
    second = api.post("/api/v1/inbound", body)
    third = api.post("/api/v1/inbound", {**body, "external_id": "sms-2"})
    assert first.status_code == 201 and second.status_code == 200
    assert second.json() == {**first.json(), "duplicate": True}
    assert third.json()["conversation_id"] == first.json()["conversation_id"]
    assert Message.objects.count() == 2


def test_inbound_to_a_non_api_inbox_is_404_and_bad_sender_422(api, api_inbox):
    from tests.factories import InboxFactory

    form = InboxFactory(channel="webform")
    body = {
        "inbox_id": form.pk,
        "external_id": "1",
        "sender": {"address": "x@mail.example"},
        "text": "hi",
    }
    assert api.post("/api/v1/inbound", body).status_code == 404
    body["inbox_id"] = api_inbox.pk
    body["sender"] = {"kind": "email", "address": "not-email"}
    response = api.post("/api/v1/inbound", body)
    assert response.status_code == 422 and "email" in response.json()["detail"]


def test_agents_cannot_delete_records_but_supervisors_can(api, outsider):
    from sahayak.accounts.models import Role
    from tests.conftest import client_for
    from tests.factories import UserFactory

    org = api.post("/api/v1/organizations", {"name": "Acme"}).json()
    contact = api.post("/api/v1/contacts", {"name": "Asha"}).json()
    agent = client_for(outsider)
    for path in (f"/api/v1/organizations/{org['id']}", f"/api/v1/contacts/{contact['id']}"):
        response = agent.delete(path)
        assert response.status_code == 403 and "supervisors" in response.json()["detail"]
    supervisor = client_for(UserFactory(role=Role.SUPERVISOR))
    assert supervisor.delete(f"/api/v1/organizations/{org['id']}").status_code == 204
    from sahayak.accounts.models import AuditEvent

    audit = AuditEvent.objects.get(action="organization.deleted")
    assert audit.object_id == str(org["id"]) and audit.data["repr"] == "Acme"


def test_inboxes_are_listed_for_api_callers(api, api_inbox):
    listed = api.get("/api/v1/inboxes").json()
    assert [(i["id"], i["channel"]) for i in listed] == [(api_inbox.pk, "api")]
    assert api.get(f"/api/v1/inboxes/{api_inbox.pk}").json()["name"] == "API"
    assert api.get("/api/v1/inboxes/999").status_code == 404


def test_inbound_into_an_explicit_conversation_needs_sight_of_it_and_the_same_customer(
    api_inbox, private_team, outsider, api
):
    from tests.conftest import client_for

    def deliver(client, conversation_id, address, external_id):
        body = {
            "inbox_id": api_inbox.pk,
            "external_id": external_id,
            "conversation_id": conversation_id,
            "sender": {"kind": "email", "address": address},
            "text": "More details",
        }
        return client.post("/api/v1/inbound", body)

    first = api.post(
        "/api/v1/inbound",
        {
            "inbox_id": api_inbox.pk,
            "external_id": "e-1",
            "sender": {"kind": "email", "address": "asha@mail.example"},
            "text": "Hello",
        },
    ).json()
    conversation_id = first["conversation_id"]
    Conversation.objects.filter(pk=conversation_id).update(team=private_team)

    hidden = deliver(client_for(outsider), conversation_id, "asha@mail.example", "e-2")
    assert hidden.status_code == 404
    stranger = deliver(api, conversation_id, "mallory@mail.example", "e-3")
    assert stranger.status_code == 422 and "another customer" in stranger.json()["detail"]
    same = deliver(api, conversation_id, "ASHA@mail.example", "e-4")
    assert same.status_code == 201 and same.json()["conversation_id"] == conversation_id
    assert Message.objects.filter(conversation_id=conversation_id).count() == 2
