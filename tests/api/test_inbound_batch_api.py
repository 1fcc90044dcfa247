"""POST /api/v1/inbound/batch: many messages in one call, each answered in its place as a
single delivery would be, the stored ones stored together."""

import pytest

from sahayak.conversations.models import Conversation, Message
from tests.factories import InboxFactory

pytestmark = pytest.mark.django_db


def _message(inbox_id: int, external_id: str, **extra):
    return {
        "inbox_id": inbox_id,
        "external_id": external_id,
        "sender": {"kind": "email", "address": "meera@mail.example", "name": "Meera"},
        "text": "আমার অর্ডার কোথায়?",
        **extra,
    }


def test_each_message_is_answered_in_its_place(api, api_inbox):
    api.post("/api/v1/inbound", _message(api_inbox.pk, "before"))
    form = InboxFactory(channel="webform")
    response = api.post(
        "/api/v1/inbound/batch",
        {
            "messages": [
                _message(api_inbox.pk, "b-1", thread_key="order-7"),
                _message(api_inbox.pk, "b-2", thread_key="order-7"),
                _message(api_inbox.pk, "b-1", thread_key="order-7"),  # repeated in the batch
                _message(api_inbox.pk, "before"),  # stored by an earlier call
                _message(form.pk, "b-3"),  # not an API inbox
                _message(api_inbox.pk, "b-4", sender={"kind": "email", "address": "nope"}),
                _message(api_inbox.pk, "b-5", text=""),
            ]
        },
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["status"] for r in results] == [201, 201, 200, 200, 404, 422, 422]
    assert results[0]["conversation_id"] == results[1]["conversation_id"]
    assert results[2]["message_id"] == results[0]["message_id"] and results[2]["duplicate"]
    assert results[4]["error"] and results[5]["error"] and results[6]["error"]
    stored = set(Message.objects.values_list("external_id", flat=True))
    assert stored == {"before", "b-1", "b-2"}
    assert Conversation.objects.filter(thread_key="order-7").count() == 1


def test_a_message_for_another_customers_conversation_is_refused_alone(api, api_inbox):
    other = api.post(
        "/api/v1/inbound",
        _message(api_inbox.pk, "o-1", sender={"kind": "email", "address": "ravi@mail.example"}),
    ).json()
    response = api.post(
        "/api/v1/inbound/batch",
        {
            "messages": [
                _message(api_inbox.pk, "x-1", conversation_id=other["conversation_id"]),
                _message(api_inbox.pk, "x-2"),
            ]
        },
    )
    first, second = response.json()["results"]
    assert first["status"] == 422 and "another customer" in first["error"]
    assert second["status"] == 201
    assert not Message.objects.filter(external_id="x-1").exists()


def test_an_oversized_or_empty_batch_is_refused_whole(api, api_inbox):
    too_many = [_message(api_inbox.pk, f"m-{n}") for n in range(101)]
    assert api.post("/api/v1/inbound/batch", {"messages": too_many}).status_code == 422
    assert api.post("/api/v1/inbound/batch", {"messages": []}).status_code == 422
    assert not Message.objects.exists()


def test_a_batch_needs_a_token(anon_api, api_inbox):
    response = anon_api.post("/api/v1/inbound/batch", {"messages": [_message(api_inbox.pk, "a")]})
    assert response.status_code == 401
    assert not Message.objects.exists()
