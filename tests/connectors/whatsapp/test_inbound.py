"""WhatsApp webhooks: only signed deliveries are read, every message type is stored
once, statuses only move forward, and the same phone number is the same customer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sahayak.contacts.models import Identity
from sahayak.contacts.services import resolve_contact
from sahayak.conversations.delivery import deliver
from sahayak.conversations.models import DeliveryStatus, EarlyReport, Message
from sahayak.conversations.services import reply

from .conftest import post_webhook
from .fake import envelope, status, text

pytestmark = pytest.mark.django_db


def test_the_verify_token_handshake_echoes_the_challenge_only_for_our_token(client, inbox):
    url = f"/hooks/whatsapp/{inbox.public_key}"
    ok = client.get(
        url,
        {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"},
    )
    assert ok.status_code == 200 and ok.content == b"1158201444"
    wrong = client.get(
        url, {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"}
    )
    assert wrong.status_code == 403


@pytest.mark.parametrize("signature", ["", "sha256=" + "0" * 64, "sha1=abc"])
def test_a_missing_or_forged_signature_is_refused_and_nothing_is_stored(client, inbox, signature):
    response = post_webhook(client, inbox, envelope([text("wamid.forged", "hello")]), signature)
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_a_signed_text_is_stored_once_however_often_it_is_delivered(client, inbox):
    body = envelope([text("wamid.A1", "नमस्ते, मेरा ऑर्डर कहाँ है?")])
    for _ in range(3):
        assert post_webhook(client, inbox, body).status_code == 200
    message = Message.objects.get()
    assert message.external_id == "wamid.A1" and message.channel == "whatsapp"
    assert message.text.startswith("नमस्ते")
    assert message.author_contact.name == "Asha"
    assert Identity.objects.get(kind="whatsapp").address == "+919812345678"
    assert message.conversation.inbox == inbox


def test_several_messages_in_one_payload_are_stored_once_each_in_one_conversation(client, inbox):
    """WhatsApp batches messages sent in quick succession; the batch is stored as a burst."""
    body = envelope(
        [
            text("wamid.B1", "Hello"),
            text("wamid.B2", "My order is late"),
            text("wamid.B1", "Hello"),  # the same message twice in the payload
            text("wamid.B3", "Order 1234"),
        ]
    )
    assert post_webhook(client, inbox, body).status_code == 200
    assert post_webhook(client, inbox, body).status_code == 200  # and the payload again
    messages = list(Message.objects.order_by("id"))
    assert [m.external_id for m in messages] == ["wamid.B1", "wamid.B2", "wamid.B3"]
    assert len({m.conversation_id for m in messages}) == 1
    assert Identity.objects.filter(kind="whatsapp").count() == 1


def test_an_unknown_inbox_key_is_not_found(client, inbox):
    raw = b"{}"
    assert (
        client.post("/hooks/whatsapp/nope", raw, content_type="application/json").status_code == 404
    )


def test_a_body_that_is_not_a_whatsapp_payload_is_a_clear_400(client, inbox):
    response = post_webhook(client, inbox, {"object": "page", "entry": []})
    assert response.status_code == 400 and b"not a WhatsApp webhook" in response.content


def test_every_media_type_is_stored_with_its_file(client, inbox, fake):
    fake.files["media-img"] = (b"\x89PNG fake image", "image/png")
    fake.files["media-aud"] = (b"OggS voice", "audio/ogg")
    fake.files["media-vid"] = (b"mp4 video", "video/mp4")
    fake.files["media-doc"] = (b"%PDF-1.4 invoice", "application/pdf")
    fake.files["media-stk"] = (b"RIFF webp", "image/webp")
    messages = [
        {
            "from": "919812345678",
            "id": "wamid.I",
            "timestamp": "1764680000",
            "type": "image",
            "image": {"id": "media-img", "mime_type": "image/png", "caption": "the broken part"},
        },
        {
            "from": "919812345678",
            "id": "wamid.AU",
            "timestamp": "1764680001",
            "type": "audio",
            "audio": {"id": "media-aud", "mime_type": "audio/ogg; codecs=opus", "voice": True},
        },
        {
            "from": "919812345678",
            "id": "wamid.V",
            "timestamp": "1764680002",
            "type": "video",
            "video": {"id": "media-vid", "mime_type": "video/mp4"},
        },
        {
            "from": "919812345678",
            "id": "wamid.D",
            "timestamp": "1764680003",
            "type": "document",
            "document": {
                "id": "media-doc",
                "mime_type": "application/pdf",
                "filename": "facture.pdf",
            },
        },
        {
            "from": "919812345678",
            "id": "wamid.S",
            "timestamp": "1764680004",
            "type": "sticker",
            "sticker": {"id": "media-stk", "mime_type": "image/webp", "animated": False},
        },
    ]
    assert post_webhook(client, inbox, envelope(messages)).status_code == 200
    stored = {m.external_id: m for m in Message.objects.prefetch_related("attachments")}
    assert stored["wamid.I"].text == "the broken part"
    files = {key: m.attachments.get() for key, m in stored.items()}
    assert files["wamid.I"].file.read() == b"\x89PNG fake image"
    assert files["wamid.AU"].content_type == "audio/ogg"
    assert files["wamid.D"].filename == "facture.pdf"
    assert files["wamid.S"].content_type == "image/webp"
    assert stored["wamid.V"].metadata["whatsapp"]["type"] == "video"


def test_a_file_whatsapp_no_longer_has_is_stored_as_a_note_not_lost(client, inbox):
    raw = {
        "from": "919812345678",
        "id": "wamid.gone",
        "timestamp": "1764680000",
        "type": "image",
        "image": {"id": "media-missing", "mime_type": "image/jpeg"},
    }
    assert post_webhook(client, inbox, envelope([raw])).status_code == 200
    assert "could not give the image" in Message.objects.get().text


def test_location_contacts_reactions_and_replies_are_readable(client, inbox):
    first = text("wamid.Q", "Is this the right size?")
    location = {
        "from": "919812345678",
        "id": "wamid.L",
        "timestamp": "1764680001",
        "type": "location",
        "location": {
            "latitude": 22.57,
            "longitude": 88.36,
            "name": "Shop",
            "address": "Park Street, Kolkata",
        },
    }
    card = {
        "from": "919812345678",
        "id": "wamid.C",
        "timestamp": "1764680002",
        "type": "contacts",
        "contacts": [
            {"name": {"formatted_name": "Rahul Das"}, "phones": [{"phone": "+91 98300 00000"}]}
        ],
    }
    reaction = {
        "from": "919812345678",
        "id": "wamid.R",
        "timestamp": "1764680003",
        "type": "reaction",
        "reaction": {"message_id": "wamid.Q", "emoji": "👍"},
    }
    quoted = text("wamid.Z", "this one", context={"from": "919812345678", "id": "wamid.Q"})
    assert (
        post_webhook(client, inbox, envelope([first, location, card, reaction, quoted])).status_code
        == 200
    )
    stored = {m.external_id: m for m in Message.objects.all()}
    assert "Park Street, Kolkata" in stored["wamid.L"].text
    assert "openstreetmap.org/?mlat=22.57&mlon=88.36" in stored["wamid.L"].text
    assert "Rahul Das" in stored["wamid.C"].text and "+91 98300 00000" in stored["wamid.C"].text
    assert (
        stored["wamid.R"].text == "👍"
        and stored["wamid.R"].metadata["whatsapp"]["reaction_to"] == "wamid.Q"
    )
    assert stored["wamid.Z"].metadata["whatsapp"]["reply_to"] == "wamid.Q"
    assert len({m.conversation_id for m in stored.values()}) == 1


def _sent_reply(inbox, admin) -> Message:
    post_webhook_inbox = Message.objects.filter(channel="whatsapp").first()
    conversation = post_webhook_inbox.conversation
    message = reply(conversation=conversation, author=admin, text="It ships today.")
    assert deliver(message.pk) == DeliveryStatus.SENT
    message.refresh_from_db()
    return message


def test_statuses_move_forward_only_even_out_of_order(client, inbox, admin):
    post_webhook(client, inbox, envelope([text("wamid.in1", "hello")]))
    message = _sent_reply(inbox, admin)
    wamid = message.external_id
    for value in ("read", "delivered", "sent"):
        assert (
            post_webhook(client, inbox, envelope(statuses=[status(wamid, value)])).status_code
            == 200
        )
        message.refresh_from_db()
        assert message.delivery_status == DeliveryStatus.READ


def test_a_failure_status_stores_the_providers_code_and_title(client, inbox, admin):
    post_webhook(client, inbox, envelope([text("wamid.in2", "hello")]))
    message = _sent_reply(inbox, admin)
    failed = status(
        message.external_id,
        "failed",
        errors=[
            {
                "code": 131047,
                "title": "Re-engagement message",
                "error_data": {
                    "details": "Message failed to send because more than 24 hours have passed"
                },
            }
        ],
    )
    post_webhook(client, inbox, envelope(statuses=[failed]))
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.FAILED
    assert message.metadata["provider_error"]["code"] == "131047"
    assert message.delivery_error.startswith("Re-engagement message")
    message.conversation.refresh_from_db()
    assert message.conversation.reply_failed is True


def test_a_report_that_beats_the_send_call_is_applied_when_the_id_is_known(client, inbox, admin):
    post_webhook(client, inbox, envelope([text("wamid.in3", "hello")]))
    conversation = Message.objects.get().conversation
    # The fake will number the next send wamid.HBgM000001: report it delivered first.
    post_webhook(client, inbox, envelope(statuses=[status("wamid.HBgM000001", "delivered")]))
    assert EarlyReport.objects.count() == 1
    message = reply(conversation=conversation, author=admin, text="On its way")
    deliver(message.pk)
    message.refresh_from_db()
    assert message.external_id == "wamid.HBgM000001"
    assert message.delivery_status == DeliveryStatus.DELIVERED
    assert not EarlyReport.objects.exists()


def test_the_same_number_on_sms_and_whatsapp_is_one_customer(client, inbox):
    contact, _created = resolve_contact(kind="phone", address="+919812345678", name="Asha R")
    post_webhook(client, inbox, envelope([text("wamid.same", "hi from WhatsApp")]))
    message = Message.objects.get()
    assert message.author_contact_id == contact.pk
    assert set(contact.identities.values_list("kind", flat=True)) == {"phone", "whatsapp"}


def test_one_webhook_address_serves_every_number_of_the_app(client, inbox, fake):
    from sahayak.connectors.messaging.setup import save_channel

    other = save_channel(
        kind="whatsapp",
        name="WhatsApp Greece",
        values={
            "phone_number_id": "999",
            "business_account_id": "1",
            "access_token": "t",
            "app_secret": "s",
        },
    )
    body = envelope([text("wamid.gr", "Γεια σας")])
    body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999"
    assert post_webhook(client, inbox, body).status_code == 200
    assert Message.objects.get().conversation.inbox == other


def test_the_health_line_records_the_last_message(client, inbox):
    post_webhook(client, inbox, envelope([text("wamid.h", "hello")]))
    inbox.health.refresh_from_db()
    assert inbox.health.last_inbound_at > timezone.now() - timedelta(minutes=1)
