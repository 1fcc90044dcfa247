"""Messenger and Instagram: signed webhooks only, echoes ignored, attachments and story
replies/mentions kept, delivery and read receipts move statuses forward, replies tagged
HUMAN_AGENT after 24 hours only when the channel may use the tag."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from sahayak.conversations.delivery import deliver
from sahayak.conversations.models import Conversation, DeliveryStatus, Message
from sahayak.conversations.services import ConversationError, reply
from tests.connectors.contract import ChannelContract

from .conftest import post_event
from .fake import PSID, event, msg

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(client: Any, messenger: Any) -> Conversation:
    assert (
        post_event(client, messenger, event("messenger", [msg("m_in1", "Bonjour !")])).status_code
        == 200
    )
    return Message.objects.get(external_id="m_in1").conversation


class TestMessengerContract(ChannelContract):
    kind = "messenger"

    def send_inbound(self, client, conversation, external_id):
        return post_event(
            client, conversation.inbox, event("messenger", [msg(external_id, "again")])
        )

    def send_bad_inbound(self, client, conversation):
        return post_event(client, conversation.inbox, {"object": "page", "entry": {"id": 1}})


def _sends(fake) -> list[Any]:
    return fake.calls("POST", r"/v21\.0/\d+/messages")


def test_handshake_and_signatures(client, messenger):
    url = f"/hooks/messenger/{messenger.public_key}"
    assert (
        client.get(
            url, {"hub.mode": "subscribe", "hub.verify_token": "vt", "hub.challenge": "42"}
        ).content
        == b"42"
    )
    forged = post_event(
        client, messenger, event("messenger", [msg("m_x", "hi")]), signature="sha256=" + "a" * 64
    )
    missing = post_event(client, messenger, event("messenger", [msg("m_y", "hi")]), signature="")
    assert forged.status_code == missing.status_code == 403
    assert not Message.objects.exists()


def test_a_message_is_stored_once_and_echoes_are_ignored(client, messenger):
    body = event(
        "messenger", [msg("m_1", "Où est ma commande ?"), msg("m_echo", "our own", is_echo=True)]
    )
    for _ in range(2):
        assert post_event(client, messenger, body).status_code == 200
    message = Message.objects.get()
    assert (
        message.external_id == "m_1" and message.author_contact.identities.get().kind == "facebook"
    )


def test_an_image_attachment_is_fetched_from_metas_file_host(client, messenger, fake):
    fake.files["img1"] = (b"\x89PNG", "image/png")
    attachments = [{"type": "image", "payload": {"url": f"{fake.base}/cdn/img1"}}]
    post_event(client, messenger, event("messenger", [msg("m_img", attachments=attachments)]))
    assert Message.objects.get().attachments.get().file.read() == b"\x89PNG"


def test_a_file_elsewhere_is_not_fetched(client, messenger, settings):
    settings.SAHAYAK_META_MEDIA_HOSTS = ["fbcdn.net"]
    attachments = [{"type": "file", "payload": {"url": "http://127.0.0.1:9/private"}}]
    post_event(client, messenger, event("messenger", [msg("m_ssrf", attachments=attachments)]))
    message = Message.objects.get()
    assert "could not be fetched" in message.text and not message.attachments.exists()


def test_instagram_story_replies_and_mentions_are_messages_with_a_link(client, instagram):
    story_reply = msg(
        "ig_1",
        "love it",
        reply_to={"story": {"url": "https://lookaside.fbsbx.com/story/1", "id": "1"}},
    )
    mention = msg(
        "ig_2",
        attachments=[
            {"type": "story_mention", "payload": {"url": "https://lookaside.fbsbx.com/story/2"}}
        ],
    )
    assert (
        post_event(client, instagram, event("instagram", [story_reply, mention])).status_code == 200
    )
    stored = {m.external_id: m for m in Message.objects.all()}
    assert "Replied to your story: https://lookaside.fbsbx.com/story/1" in stored["ig_1"].text
    assert (
        "Mentioned you in their story: https://lookaside.fbsbx.com/story/2" in stored["ig_2"].text
    )
    assert stored["ig_1"].metadata["instagram"]["story_reply"].endswith("/story/1")


def test_delivery_then_read_receipts_move_forward(client, conversation, fake, admin):
    message = reply(conversation=conversation, author=admin, text="Elle arrive demain.")
    assert deliver(message.pk) == DeliveryStatus.SENT
    message.refresh_from_db()
    watermark = int(time.time() * 1000) + 1000
    read = {
        "sender": {"id": PSID},
        "recipient": {"id": "1"},
        "timestamp": watermark,
        "read": {"watermark": watermark},
    }
    delivered = {
        "sender": {"id": PSID},
        "recipient": {"id": "1"},
        "timestamp": watermark,
        "delivery": {"mids": [message.external_id], "watermark": watermark},
    }
    post_event(client, conversation.inbox, event("messenger", [read]))
    post_event(client, conversation.inbox, event("messenger", [delivered]))
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.READ


def test_a_reply_within_24_hours_is_a_response(conversation, fake, admin):
    message = reply(conversation=conversation, author=admin, text="Merci")
    deliver(message.pk)
    sent = _sends(fake)[0].json()
    assert sent == {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "Merci"},
    }


def test_after_24_hours_the_human_agent_tag_is_used_when_allowed(conversation, fake, admin):
    Message.objects.filter(conversation=conversation).update(
        created_at=timezone.now() - timedelta(hours=30)
    )
    message = reply(conversation=conversation, author=admin, text="Désolé pour l'attente")
    deliver(message.pk)
    sent = _sends(fake)[0].json()
    assert sent["messaging_type"] == "MESSAGE_TAG" and sent["tag"] == "HUMAN_AGENT"


def test_after_7_days_free_text_is_refused_before_any_call(conversation, fake, admin):
    Message.objects.filter(conversation=conversation).update(
        created_at=timezone.now() - timedelta(days=8)
    )
    with pytest.raises(ConversationError, match="accepts no more replies"):
        reply(conversation=conversation, author=admin, text="Hello?")
    assert not _sends(fake)


def test_without_the_tag_a_late_reply_fails_with_a_reason_and_no_call(
    client, instagram, fake, admin
):
    post_event(client, instagram, event("instagram", [msg("ig_late", "hi")]))
    conversation = Message.objects.get().conversation
    Message.objects.filter(conversation=conversation).update(
        created_at=timezone.now() - timedelta(hours=30)
    )
    message = reply(conversation=conversation, author=admin, text="Sorry")
    assert deliver(message.pk) == DeliveryStatus.FAILED
    message.refresh_from_db()
    assert "human agent tag" in message.delivery_error and not _sends(fake)


def test_rate_limits_are_retried_and_unavailable_people_fail(conversation, fake, admin):
    fake.fail_next(permanent=False)
    message = reply(conversation=conversation, author=admin, text="One moment")
    assert deliver(message.pk) == DeliveryStatus.RETRYING
    fake.fail_next(permanent=True)
    other = reply(conversation=conversation, author=admin, text="Hello")
    assert deliver(other.pk) == DeliveryStatus.FAILED
    other.refresh_from_db()
    assert "(551)" in other.delivery_error
