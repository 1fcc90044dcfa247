"""SMS through a Twilio-compatible API: signed webhooks only, stored once, STOP/START
recorded and honoured, statuses forward only, retries on 429, segments counted for Latin,
Devanagari, Bengali and Greek text."""

from __future__ import annotations

from typing import Any

import pytest

from sahayak.connectors.sms.segments import count
from sahayak.contacts.models import Identity
from sahayak.contacts.services import resolve_contact
from sahayak.conversations import channels
from sahayak.conversations.delivery import deliver
from sahayak.conversations.models import Conversation, DeliveryStatus, Message
from sahayak.conversations.services import reply
from tests.connectors.contract import ChannelContract
from tests.connectors.fakes import Answer

from .conftest import incoming, post_sms
from .fake import FROM

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(client: Any, inbox: Any) -> Conversation:
    assert (
        post_sms(client, inbox, incoming("SM-start", "Hello, is my parcel lost?")).status_code
        == 200
    )
    return Message.objects.get(external_id="SM-start").conversation


class TestSmsContract(ChannelContract):
    kind = "sms"

    def send_inbound(self, client, conversation, external_id):
        return post_sms(client, conversation.inbox, incoming(external_id, "again"))

    def send_bad_inbound(self, client, conversation):
        return post_sms(client, conversation.inbox, {"Body": "no sid, no sender"})


def _sent(fake) -> list[dict[str, str]]:
    return [
        {k: v[0] for k, v in r.form().items()}
        for r in fake.calls("POST", r"/2010-04-01/Accounts/\w+/Messages\.json")
    ]


@pytest.mark.parametrize("signature", ["", "bm90IGl0"])
def test_a_missing_or_forged_signature_is_refused_and_nothing_is_stored(client, inbox, signature):
    response = post_sms(client, inbox, incoming("SM-forged", "hi"), signature=signature)
    assert response.status_code == 403
    assert not Message.objects.exists()


def test_an_sms_is_stored_once_and_answered_with_empty_twiml(client, inbox):
    for _ in range(2):
        response = post_sms(
            client, inbox, incoming("SM-1", "Γεια σας, πού είναι η παραγγελία μου;")
        )
        assert response.status_code == 200 and response["Content-Type"] == "text/xml"
        assert b"<Response></Response>" in response.content
    message = Message.objects.get()
    assert message.channel == "sms" and message.text.startswith("Γεια")
    assert Identity.objects.get().kind == "phone"


def test_an_mms_file_is_fetched_with_the_account_credentials(client, inbox, fake):
    fake.files["ME1"] = (b"\xff\xd8 jpeg", "image/jpeg")
    form = incoming(
        "SM-mms",
        "photo",
        NumMedia="1",
        MediaUrl0=fake.media_url("ME1"),
        MediaContentType0="image/jpeg",
    )
    assert post_sms(client, inbox, form).status_code == 200
    attachment = Message.objects.get().attachments.get()
    assert attachment.file.read() == b"\xff\xd8 jpeg" and attachment.content_type == "image/jpeg"


def test_a_media_url_elsewhere_is_not_fetched(client, inbox):
    form = incoming("SM-ssrf", "look", NumMedia="1", MediaUrl0="http://127.0.0.1:1/secret")
    assert post_sms(client, inbox, form).status_code == 200
    message = Message.objects.get()
    assert "could not be fetched" in message.text and not message.attachments.exists()


def test_a_sender_that_is_not_a_phone_number_is_a_clear_400(client, inbox):
    response = post_sms(client, inbox, incoming("SM-x", "hi", sender="PROMO"))
    assert response.status_code == 400 and not Message.objects.exists()


def test_the_same_number_on_whatsapp_and_sms_is_one_customer(client, inbox):
    contact, _created = resolve_contact(kind="whatsapp", address="+919812345678")
    post_sms(client, inbox, incoming("SM-same", "from SMS"))
    assert Message.objects.get().author_contact_id == contact.pk


def test_a_reply_goes_out_with_a_status_callback(conversation, fake, admin):
    message = reply(conversation=conversation, author=admin, text="It left the warehouse today.")
    assert deliver(message.pk) == DeliveryStatus.SENT
    (sent,) = _sent(fake)
    assert sent["To"] == "+919812345678" and sent["From"] == FROM
    assert (
        sent["StatusCallback"]
        == f"https://help.example/hooks/sms/{conversation.inbox.public_key}/status"
    )
    message.refresh_from_db()
    assert message.external_id.startswith("SM")


def test_status_callbacks_move_forward_only_and_failures_keep_the_code(
    client, conversation, fake, admin
):
    message = reply(conversation=conversation, author=admin, text="Hi")
    deliver(message.pk)
    message.refresh_from_db()
    sid = message.external_id
    post_sms(
        client, conversation.inbox, {"MessageSid": sid, "MessageStatus": "delivered"}, status=True
    )
    post_sms(client, conversation.inbox, {"MessageSid": sid, "MessageStatus": "sent"}, status=True)
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.DELIVERED
    other = reply(conversation=conversation, author=admin, text="Hi again")
    deliver(other.pk)
    other.refresh_from_db()
    response = post_sms(
        client,
        conversation.inbox,
        {"MessageSid": other.external_id, "MessageStatus": "undelivered", "ErrorCode": "30003"},
        status=True,
    )
    assert response.status_code == 204
    other.refresh_from_db()
    assert other.delivery_status == DeliveryStatus.FAILED
    assert other.metadata["provider_error"]["code"] == "30003"
    assert "switched off" in channels.explain_error("sms", "30003")


def test_a_forged_status_callback_changes_nothing(client, conversation, fake, admin):
    message = reply(conversation=conversation, author=admin, text="Hi")
    deliver(message.pk)
    message.refresh_from_db()
    response = post_sms(
        client,
        conversation.inbox,
        {"MessageSid": message.external_id, "MessageStatus": "failed"},
        status=True,
        signature="Zm9yZ2Vk",
    )
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.SENT


def test_429_is_retried_after_the_wait_asked_and_400_fails_with_the_reason(
    conversation, fake, admin
):
    fake.scripted.append(
        Answer(429, {"code": 20429, "message": "Too Many Requests"}, headers={"Retry-After": "30"})
    )
    message = reply(conversation=conversation, author=admin, text="Hello")
    assert deliver(message.pk) == DeliveryStatus.RETRYING
    Message.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
    assert deliver(message.pk) == DeliveryStatus.SENT
    fake.fail_next(permanent=True)
    failed = reply(conversation=conversation, author=admin, text="Hello")
    assert deliver(failed.pk) == DeliveryStatus.FAILED
    failed.refresh_from_db()
    assert "(21211)" in failed.delivery_error


def test_stop_is_recorded_and_honoured_until_start(client, conversation, fake, admin):
    post_sms(client, conversation.inbox, incoming("SM-stop", " stop "))
    identity = Identity.objects.get(kind="phone")
    assert identity.opted_out_at is not None
    assert Message.objects.filter(external_id="SM-stop").exists()  # the agent sees it
    message = reply(conversation=conversation, author=admin, text="Sorry to see you go")
    assert deliver(message.pk) == DeliveryStatus.FAILED
    message.refresh_from_db()
    assert "opted out" in message.delivery_error and fake.received() == 0
    post_sms(client, conversation.inbox, incoming("SM-start2", "START"))
    identity.refresh_from_db()
    assert identity.opted_out_at is None
    again = reply(conversation=conversation, author=admin, text="Welcome back")
    assert deliver(again.pk) == DeliveryStatus.SENT


def test_a_provider_opt_out_type_counts_even_in_another_language(client, conversation):
    post_sms(client, conversation.inbox, incoming("SM-arret", "ARRET", OptOutType="STOP"))
    assert Identity.objects.get(kind="phone").opted_out_at is not None


@pytest.mark.parametrize(
    ("text", "encoding", "segments"),
    [
        ("Your order has shipped.", "GSM-7", 1),
        ("x" * 160, "GSM-7", 1),
        ("x" * 161, "GSM-7", 2),
        ("€" * 80, "GSM-7", 1),  # two septets each
        ("{" * 81, "GSM-7", 2),
        ("आपका ऑर्डर भेज दिया गया है", "UCS-2", 1),
        ("आ" * 71, "UCS-2", 2),
        ("আপনার অর্ডার পাঠানো হয়েছে। ধন্যবাদ! " * 3, "UCS-2", 2),
        ("Η παραγγελία σας στάλθηκε.", "UCS-2", 1),
        ("ΓΔΘΛΞΠΣΦΨΩ", "GSM-7", 1),  # these capitals are in GSM 03.38
        ("ΑΒΓ", "UCS-2", 1),  # Alpha and Beta are not
        ("ok 👍" * 14, "UCS-2", 1),
        ("ok 👍" * 15, "UCS-2", 2),
        ("", "GSM-7", 0),
    ],
)
def test_segments_are_counted_as_the_network_bills_them(text, encoding, segments):
    result = count(text)
    assert (result.encoding, result.count) == (encoding, segments)


def test_the_reply_box_counts_segments_for_sms(web, conversation):
    page = web.get(f"/c/{conversation.pk}/").content.decode()
    assert 'id="segment-count"' in page and 'data-segmented="sms ' in page
