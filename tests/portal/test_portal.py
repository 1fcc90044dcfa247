"""The customer portal: sign-in by a one-time link over real SMTP, the customer's own
conversations from every channel (never someone else's, never internal notes), replies and
new requests through the pipeline."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from sahayak.conversations.models import Conversation, Direction, Message
from sahayak.conversations.pipeline import receive
from tests.conftest import inbound
from tests.factories import InboxFactory

pytestmark = pytest.mark.django_db


def sign_in(client: Client, smtp_sink: Any, email: str) -> str:
    response = client.post("/portal/login/", {"email": email})
    assert response.status_code == 200 and "Check your email" in response.content.decode()
    mail = smtp_sink.parsed()
    assert mail["To"] == email.lower()
    link = re.search(r"http://testserver(/portal/login/[^/\s]+/)", mail.get_content()).group(1)
    assert client.get(link).status_code == 200  # a page with a button: scanners spend nothing
    response = client.post(link)
    assert response.status_code == 302 and response["Location"] == "/portal/"
    return link


def test_link_signs_in_once_and_shows_conversations_from_every_channel(
    client: Client, smtp_sink: Any, settings: Any
) -> None:
    email_inbox = InboxFactory(channel="email", config={"address": "help@shop.example"})
    chat_inbox = InboxFactory(channel="api")
    mail = receive(inbound(email_inbox, sender_address="asha@mail.example", subject="Parcel late"))
    receive(
        inbound(
            chat_inbox,
            sender_address="asha@mail.example",
            subject="Chat about sizes",
            conversation_id=None,
        )
    )
    other = receive(inbound(email_inbox, sender_address="ravi@mail.example", subject="Ravi's"))
    Message.objects.create(
        conversation=mail.conversation,
        direction=Direction.NOTE,
        channel="note",
        text="VIP, be nice",
    )
    link = sign_in(client, smtp_sink, "Asha@Mail.example")
    assert smtp_sink.messages[-1][0] == "help@shop.example"  # sent as the support mailbox
    html = client.get("/portal/").content.decode()
    assert "Parcel late" in html and "Chat about sizes" in html and "Ravi" not in html
    page = client.get(f"/portal/c/{mail.conversation.pk}/").content.decode()
    assert "My parcel has not arrived yet." in page and "VIP, be nice" not in page
    assert client.get(f"/portal/c/{other.conversation.pk}/").status_code == 404

    # The link is spent: a second use is refused.
    fresh = Client()
    response = fresh.post(link)
    assert (
        response.status_code == 400 and "expired or was already used" in response.content.decode()
    )
    assert fresh.get("/portal/")["Location"].startswith("/portal/login/")


def test_reply_and_new_request_go_through_the_pipeline_once(client: Client, smtp_sink: Any) -> None:
    inbox = InboxFactory(channel="email", config={"address": "help@shop.example"})
    first = receive(inbound(inbox, sender_address="asha@mail.example", subject="Parcel late"))
    sign_in(client, smtp_sink, "asha@mail.example")
    url = f"/portal/c/{first.conversation.pk}/"
    for _ in range(2):  # the same form sent twice (double click) is stored once
        response = client.post(url, {"text": "Any news?", "submission": "tok-123456789012"})
        assert response.status_code == 302
    replies = first.conversation.messages.filter(text="Any news?")
    assert replies.count() == 1 and replies.get().channel == "portal"
    assert client.post(url, {"text": "  ", "submission": "x" * 16}).status_code == 400

    refused = client.post(
        "/portal/new/", {"subject": " ", "text": "Too small", "submission": "m" * 20}
    )
    assert refused.status_code == 400 and "Add a subject." in refused.content.decode()
    assert not Conversation.objects.filter(channel="portal").exists()
    response = client.post(
        "/portal/new/", {"subject": "Wrong size", "text": "Too small", "submission": "n" * 20}
    )
    assert response.status_code == 302
    created = Conversation.objects.get(subject="Wrong size")
    assert created.contact_id == first.contact.pk and created.channel == "portal"
    assert response["Location"] == f"/portal/c/{created.pk}/"


def test_a_new_address_becomes_a_verified_contact(client: Client, smtp_sink: Any) -> None:
    sign_in(client, smtp_sink, "new@mail.example")
    from sahayak.contacts.models import Identity

    identity = Identity.objects.get(address="new@mail.example")
    assert identity.verified
    assert "You have no requests yet." in client.get("/portal/").content.decode()


def test_bad_addresses_and_floods_get_clear_errors(client: Client, smtp_sink: Any) -> None:
    response = client.post("/portal/login/", {"email": "not an address"})
    assert response.status_code == 400
    for _ in range(3):
        client.post("/portal/login/", {"email": "asha@mail.example"})
    assert client.post("/portal/login/", {"email": "asha@mail.example"}).status_code == 429
    assert client.post("/portal/login/bogus-token/").status_code == 400


def test_an_address_an_agent_added_tells_the_proven_addresses_when_first_used(
    client: Client, smtp_sink: Any, api: Any
) -> None:
    """Adding an address to a customer does not quietly hand over their portal: the first
    sign-in with it is reported to the addresses the customer already proved."""
    email_inbox = InboxFactory(channel="email", config={"address": "help@shop.example"})
    first = receive(inbound(email_inbox, sender_address="asha@mail.example", subject="Hi"))
    contact = first.conversation.contact
    sign_in(client, smtp_sink, "asha@mail.example")  # proves asha@mail.example
    response = api.patch(
        f"/api/v1/contacts/{contact.pk}",
        {"add_identities": [{"kind": "email", "address": "new@elsewhere.example"}]},
    )
    assert response.status_code == 200, response.content
    before = len(smtp_sink.messages)
    sign_in(Client(), smtp_sink, "new@elsewhere.example")
    notices = [m for m in smtp_sink.messages[before:] if "asha@mail.example" in m[1]]
    assert len(notices) == 1
    assert "new@elsewhere.example" in notices[0][2].decode()
    # A second sign-in with the now proven address tells nobody again.
    before = len(smtp_sink.messages)
    sign_in(Client(), smtp_sink, "new@elsewhere.example")
    assert len(smtp_sink.messages) == before + 1  # only the link itself


def test_the_portal_offers_the_customers_open_surveys_and_only_theirs(
    client: Client, smtp_sink: Any
) -> None:
    """A signed-in customer finds the NPS and rating requests still open for them."""
    from datetime import timedelta

    from django.utils import timezone

    from sahayak.feedback.models import Survey

    email_inbox = InboxFactory(channel="email", config={"address": "help@shop.example"})
    mine = receive(inbound(email_inbox, sender_address="asha@mail.example", subject="Parcel"))
    theirs = receive(inbound(email_inbox, sender_address="ravi@mail.example", subject="Ravi"))
    later = timezone.now() + timedelta(days=3)
    for contact, kind, conversation in (
        (mine.contact, "nps", None),
        (mine.contact, "csat", mine.conversation),
        (theirs.contact, "nps", None),
    ):
        Survey.objects.create(
            kind=kind,
            state="sent",
            contact=contact,
            conversation=conversation,
            due_at=timezone.now(),
            sent_at=timezone.now(),
            open_until=later,
        )
    Survey.objects.create(  # closed: not offered
        kind="csat",
        state="sent",
        contact=mine.contact,
        conversation=mine.conversation,
        due_at=timezone.now() - timedelta(days=30),
        sent_at=timezone.now() - timedelta(days=30),
        open_until=timezone.now() - timedelta(days=1),
    )
    sign_in(client, smtp_sink, "asha@mail.example")
    html = client.get("/portal/").content.decode()
    assert "How likely are you to recommend us?" in html
    assert f"Rate the help with request #{mine.conversation.pk}" in html
    assert html.count("/survey/") == 2
