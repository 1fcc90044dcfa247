"""Telegram: the secret-token header guards the webhook, updates are stored once whether
they come by webhook or long polling, files go both ways without public URLs, group
chats follow the channel's setting."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile

from sahayak.connectors.messaging.setup import save_channel
from sahayak.connectors.telegram import polling
from sahayak.connectors.telegram.models import PollCursor
from sahayak.contacts.models import Identity
from sahayak.conversations.delivery import deliver
from sahayak.conversations.models import Attachment, Conversation, DeliveryStatus, Message
from sahayak.conversations.services import reply
from tests.connectors.contract import ChannelContract

from .conftest import post_update
from .fake import TOKEN, update

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(client: Any, inbox: Any) -> Conversation:
    assert post_update(client, inbox, update(1, 10, "Γεια σας, έχω ερώτηση")).status_code == 200
    return Message.objects.get().conversation


class TestTelegramContract(ChannelContract):
    kind = "telegram"

    def send_inbound(self, client, conversation, external_id):
        number = 1000 + sum(map(ord, external_id))
        return post_update(client, conversation.inbox, update(number, number, "again"))

    def send_bad_inbound(self, client, conversation):
        return post_update(client, conversation.inbox, {"message": "no update id"})


@pytest.mark.parametrize("secret", [None, "wrong"])
def test_a_missing_or_wrong_secret_token_is_refused(client, inbox, secret):
    assert post_update(client, inbox, update(1, 10, "hi"), secret=secret).status_code == 403
    assert not Message.objects.exists()


def test_a_message_is_stored_once_with_the_senders_language(client, inbox):
    for _ in range(2):
        assert post_update(client, inbox, update(1, 10, "Γεια σας")).status_code == 200
    message = Message.objects.get()
    assert message.external_id == "5550001:10" and message.author_contact.name == "Eleni P"
    assert Identity.objects.get(kind="telegram").address == "5550001"
    assert message.metadata["telegram"]["username"] == "eleni"


def test_photos_documents_and_voice_are_fetched_from_the_bot_api(client, inbox, fake):
    fake.files["ph-big"] = ("photos/file_1.jpg", b"big jpeg")
    fake.files["doc-1"] = ("documents/file_2.pdf", b"%PDF bill")
    fake.files["voice-1"] = ("voice/file_3.oga", b"OggS")
    photo = update(
        1,
        11,
        photo=[{"file_id": "ph-small", "file_size": 10}, {"file_id": "ph-big", "file_size": 900}],
        caption="broken",
    )
    document = update(
        2,
        12,
        document={"file_id": "doc-1", "file_name": "bill.pdf", "mime_type": "application/pdf"},
    )
    voice = update(3, 13, voice={"file_id": "voice-1", "duration": 3, "mime_type": "audio/ogg"})
    for body in (photo, document, voice):
        assert post_update(client, inbox, body).status_code == 200
    stored = {m.external_id: m for m in Message.objects.prefetch_related("attachments")}
    assert stored["5550001:11"].text == "broken"
    assert stored["5550001:11"].attachments.get().file.read() == b"big jpeg"
    assert stored["5550001:12"].attachments.get().filename == "bill.pdf"
    assert stored["5550001:13"].attachments.get().content_type == "audio/ogg"


def test_group_chats_are_refused_by_default_and_handled_when_set(client, inbox, fake, admin):
    group = {"id": -100200, "type": "supergroup", "title": "Customers"}
    assert post_update(client, inbox, update(1, 10, "in a group", chat=group)).status_code == 200
    assert not Message.objects.exists()
    inbox.config = {**inbox.config, "groups": "handle"}
    inbox.save()
    post_update(client, inbox, update(2, 11, "in a group", chat=group))
    post_update(client, inbox, update(3, 12, "me too", chat=group, user=5550002))
    messages = list(Message.objects.order_by("id"))
    assert len(messages) == 2 and len({m.conversation_id for m in messages}) == 1
    conversation = messages[0].conversation
    answer = reply(conversation=conversation, author=admin, text="Hello all")
    deliver(answer.pk)
    assert fake.sends()[-1].json()["chat_id"] == "-100200"


def test_a_reply_goes_to_the_chat_and_can_quote(conversation, fake, admin):
    quoted = Message.objects.get()
    message = reply(conversation=conversation, author=admin, text="Καλησπέρα!", reply_to=quoted.pk)
    assert deliver(message.pk) == DeliveryStatus.SENT
    sent = fake.sends()[0].json()
    assert sent == {
        "chat_id": "5550001",
        "text": "Καλησπέρα!",
        "reply_parameters": {"message_id": 10},
    }
    message.refresh_from_db()
    assert message.external_id.startswith("5550001:")


def test_a_file_is_uploaded_in_the_request_itself(conversation, fake, admin):
    message = reply(conversation=conversation, author=admin, text="Your invoice")
    Attachment.objects.create(
        message=message,
        file=ContentFile(b"%PDF", name="i.pdf"),
        filename="invoice.pdf",
        content_type="application/pdf",
        size=4,
        sha256="cd" * 32,
    )
    assert deliver(message.pk) == DeliveryStatus.SENT
    (sent,) = fake.sends()
    assert sent.path.endswith("/sendDocument") and b'filename="invoice.pdf"' in sent.body
    assert b"Your invoice" in sent.body  # as the caption


def test_429_waits_as_telegram_asks_and_a_block_is_final(conversation, fake, admin):
    from django.utils import timezone

    fake.fail_next(permanent=False)
    message = reply(conversation=conversation, author=admin, text="One moment")
    assert deliver(message.pk) == DeliveryStatus.RETRYING
    message.refresh_from_db()
    assert (message.next_attempt_at - timezone.now()).total_seconds() >= 6
    fake.fail_next(permanent=True)
    blocked = reply(conversation=conversation, author=admin, text="Hello?")
    assert deliver(blocked.pk) == DeliveryStatus.FAILED
    blocked.refresh_from_db()
    assert "bot was blocked" in blocked.delivery_error


def test_long_polling_stores_then_moves_the_cursor_and_never_twice(db, fake):
    inbox = save_channel(
        kind="telegram",
        name="Polled",
        values={"bot_token": TOKEN, "mode": "polling", "groups": "refuse"},
    )
    fake.updates.extend([update(7, 70, "first"), update(8, 71, "second")])
    assert polling.poll_once(inbox) == 2
    assert PollCursor.objects.get(inbox=inbox).offset == 9
    # A poller killed before moving the cursor reads the same updates again: stored once.
    PollCursor.objects.filter(inbox=inbox).update(offset=0)
    fake.updates.extend([update(7, 70, "first"), update(8, 71, "second")])
    polling.poll_once(inbox)
    assert Message.objects.count() == 2
    assert polling.polled_inboxes() == [inbox]


def test_saving_switches_between_webhook_and_polling(db, fake, settings):
    settings.SAHAYAK_PUBLIC_URL = "https://help.example"
    inbox = save_channel(
        kind="telegram",
        name="Bot",
        values={"bot_token": TOKEN, "mode": "webhook", "groups": "refuse"},
    )
    polling.apply_mode(inbox)
    assert fake.webhook["url"] == f"https://help.example/hooks/telegram/{inbox.public_key}"
    assert (
        fake.webhook["secret_token"] == inbox.config["secret_token"]
        and len(inbox.config["secret_token"]) > 20
    )
    inbox.config = {**inbox.config, "mode": "polling"}
    inbox.save()
    polling.apply_mode(inbox)
    assert fake.webhook == {}


def test_the_connection_test_names_the_bot(db, fake):
    from sahayak.connectors.messaging.setup import check_connection

    inbox = save_channel(
        kind="telegram",
        name="Bot",
        values={"bot_token": TOKEN, "mode": "polling", "groups": "refuse"},
    )
    assert check_connection(inbox) == "@sahayak_shop_bot"
