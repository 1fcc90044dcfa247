"""Every API list costs the same number of queries for 3 rows as for 30: no query per row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from sahayak.conversations import services
from sahayak.conversations.pipeline import receive
from tests.conftest import inbound
from tests.factories import (
    ContactFactory,
    ConversationFactory,
    IdentityFactory,
    InboxFactory,
    MessageFactory,
    OrganizationFactory,
)

pytestmark = pytest.mark.django_db

ARTICLE = {
    "visibility": "public",
    "tags": ["billing"],
    "translations": [
        {
            "locale": "en",
            "title": "Refund policy",
            "body": "Refunds in 14 days.",
            "status": "published",
        },
        {"locale": "fr", "title": "Remboursement", "body": "Sous 14 jours.", "status": "published"},
    ],
}


def _contacts(api: Any, n: int) -> None:
    for _ in range(n):
        IdentityFactory(contact=ContactFactory(organization=OrganizationFactory()))


def _orders(api: Any, n: int) -> None:
    contact = ContactFactory()
    start = api.get("/api/v1/orders").json()["items"]
    for i in range(len(start), len(start) + n):
        payload = {
            "contact_id": contact.pk,
            "external_ref": f"ORD-{i}",
            "amount": "12.50",
            "currency": "EUR",
            "ordered_at": "2026-11-01T10:00:00Z",
        }
        assert api.post("/api/v1/orders", payload).status_code in (200, 201)


def _inboxes(api: Any, n: int) -> None:
    InboxFactory.create_batch(n)


def _mailboxes(api: Any, n: int) -> None:
    from sahayak.connectors.email.mailboxes import MailboxSettings, forget_addresses, save_mailbox

    base = InboxFactory._meta.model.objects.filter(channel="email").count()
    for i in range(base, base + n):
        save_mailbox(MailboxSettings(name=f"Box {i}", address=f"box{i}@shop.example"))
    forget_addresses()


def _categories(api: Any, n: int) -> None:
    base = len(api.get("/api/v1/kb/categories").json())
    for i in range(base, base + n):
        category = api.post(
            "/api/v1/kb/categories", {"names": {"en": f"Topic {i}"}, "slug": f"topic-{i}"}
        ).json()
        api.post(
            f"/api/v1/kb/categories/{category['id']}/sections",
            {"names": {"en": "Basics"}, "slug": f"basics-{i}"},
        )


def _articles(api: Any, n: int) -> None:
    for _ in range(n):
        assert api.post("/api/v1/kb/articles", ARTICLE).status_code == 201


def _conversations(api: Any, n: int) -> None:
    for conversation in ConversationFactory.create_batch(n):
        services.set_tags(conversation=conversation, names=["a", "b"], actor=None)


def _conversation_rows(kind: str) -> Callable[[Any, int], None]:
    def make(api: Any, n: int) -> None:
        conversation = _the_conversation()
        if kind == "messages":
            MessageFactory.create_batch(n, conversation=conversation)
        else:
            for i in range(n):
                services.set_priority(
                    conversation=conversation, priority=["high", "low"][i % 2], actor=None
                )

    return make


def _the_conversation() -> Any:
    from sahayak.conversations.models import Conversation

    found = Conversation.objects.filter(subject="Timeline").first()
    return found or ConversationFactory(subject="Timeline")


def _messages_for_search(api: Any, n: int) -> None:
    inbox = InboxFactory()
    with TestCase.captureOnCommitCallbacks(execute=True):  # indexed after commit
        for _ in range(n):
            receive(inbound(inbox, text="Where is my refund please", external_id=None))


LISTS: dict[str, tuple[str, Callable[[Any, int], None]]] = {
    "contacts": ("/api/v1/contacts?limit=100", _contacts),
    "organizations": ("/api/v1/organizations?limit=100", _contacts),
    "orders": ("/api/v1/orders?limit=100", _orders),
    "inboxes": ("/api/v1/inboxes", _inboxes),
    "mailboxes": ("/api/v1/mailboxes", _mailboxes),
    "conversations": ("/api/v1/conversations?limit=100", _conversations),
    "conversations waiting": ("/api/v1/conversations?limit=100&sort=waiting", _conversations),
    "messages": ("/api/v1/conversations/{id}/messages?limit=100", _conversation_rows("messages")),
    "events": ("/api/v1/conversations/{id}/events?limit=100", _conversation_rows("events")),
    "kb categories": ("/api/v1/kb/categories", _categories),
    "kb articles": ("/api/v1/kb/articles?limit=100", _articles),
    "kb search": ("/api/v1/kb/search?q=refund&limit=50", _articles),
    "message search": ("/api/v1/search/messages?q=refund&limit=50", _messages_for_search),
}


def _count(api: Any, url: str) -> tuple[int, int]:
    url = url.replace("{id}", str(_the_conversation().pk))
    api.get(url)  # once first: the token's last-used time is written at most once a while
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url)
    assert response.status_code == 200, response.content
    body = response.json()
    rows = body["items"] if isinstance(body, dict) else body
    return len(queries), len(rows)


@pytest.mark.parametrize("name", list(LISTS))
def test_list_query_count_does_not_grow_with_rows(api: Any, name: str) -> None:
    url, make = LISTS[name]
    make(api, 3)
    few, rows_few = _count(api, url)
    make(api, 27)
    many, rows_many = _count(api, url)
    assert rows_many > rows_few > 0, "the list must show the new rows"
    assert many == few, f"{name}: {few} queries for {rows_few} rows, {many} for {rows_many}"
