"""The reply box: files, "assign to me", "then set status", formatting per channel."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sahayak.conversations.models import Attachment, Direction, Event, Message
from tests.factories import ConversationFactory, IdentityFactory, InboxFactory

pytestmark = pytest.mark.django_db


def email_conversation():
    identity = IdentityFactory(kind="email", address="meera@mail.example")
    inbox = InboxFactory(channel="email", config={"address": "help@shop.example"})
    return ConversationFactory(channel="email", inbox=inbox, contact=identity.contact)


def send(web, conversation, **data):
    fields = {"kind": "reply", "text": "Here you are", **data}
    return web.post(f"/c/{conversation.pk}/reply/", fields, HTTP_HX_REQUEST="true")


def test_files_go_with_an_email_reply(web):
    conversation = email_conversation()
    upload = SimpleUploadedFile("invoice.pdf", b"%PDF-1.4 invoice", content_type="application/pdf")
    response = send(web, conversation, channel="email", files=[upload])
    assert response.status_code == 204, response.content
    attachment = Attachment.objects.get()
    assert attachment.filename == "invoice.pdf" and attachment.size == 16
    assert attachment.message.direction == Direction.OUTBOUND


def test_a_file_alone_is_a_reply(web):
    conversation = email_conversation()
    upload = SimpleUploadedFile("photo.png", b"\x89PNG....", content_type="image/png")
    assert send(web, conversation, text="", files=[upload]).status_code == 204
    assert Message.objects.get().attachments.count() == 1


def test_files_on_a_channel_that_cannot_carry_them_are_refused_whole(web):
    conversation = ConversationFactory(channel="api")
    upload = SimpleUploadedFile("a.txt", b"hello")
    response = send(web, conversation, files=[upload])
    assert response.status_code == 422
    assert "Files cannot be sent" in response.content.decode()
    assert not Message.objects.exists() and not Attachment.objects.exists()


def test_a_note_keeps_its_files_on_any_channel(web):
    conversation = ConversationFactory(channel="api")
    upload = SimpleUploadedFile("log.txt", b"trace")
    assert send(web, conversation, kind="note", files=[upload]).status_code == 204
    assert Message.objects.get().direction == Direction.NOTE
    assert Attachment.objects.count() == 1


def test_replying_with_assign_to_me_takes_a_conversation_nobody_has(web, admin):
    conversation = ConversationFactory()
    response = send(web, conversation, claim="1")
    assert "sahayak:side" in response["HX-Trigger"]
    conversation.refresh_from_db()
    assert conversation.assignee_id == admin.pk
    assert Event.objects.filter(conversation=conversation, kind="assignee").exists()


def test_assign_to_me_never_takes_a_conversation_from_a_colleague(web, outsider):
    conversation = ConversationFactory(assignee=outsider)
    send(web, conversation, claim="1")
    conversation.refresh_from_db()
    assert conversation.assignee_id == outsider.pk


def test_send_and_set_status(web):
    conversation = ConversationFactory()
    send(web, conversation, then_status="solved")
    conversation.refresh_from_db()
    assert conversation.status == "solved"
    assert Message.objects.get().direction == Direction.OUTBOUND


def test_a_refused_reply_changes_nothing_else(web):
    conversation = ConversationFactory()
    response = send(web, conversation, text=" ", claim="1", then_status="solved")
    assert response.status_code == 422
    conversation.refresh_from_db()
    assert conversation.assignee_id is None and conversation.status == "new"


def test_an_unknown_status_after_sending_is_refused_and_nothing_is_sent(web):
    conversation = ConversationFactory()
    assert send(web, conversation, then_status="gone").status_code == 422
    assert not Message.objects.exists()


def test_formatting_is_html_by_email_and_plain_text_elsewhere(web):
    conversation = email_conversation()
    marked = "Your order is **on its way**:\n\n- tracking [here](https://t.example/7)"
    send(web, conversation, channel="email", text=marked)
    email = Message.objects.get()
    assert "<strong>on its way</strong>" in email.html
    assert 'href="https://t.example/7"' in email.html
    assert email.text == "Your order is on its way:\n\n• tracking here (https://t.example/7)"
    other = ConversationFactory(channel="api")
    send(web, other, text=marked)
    plain = Message.objects.get(conversation=other)
    assert plain.html == "" and "**" not in plain.text


def test_typed_markup_is_never_sent_as_html(web):
    conversation = email_conversation()
    send(web, conversation, channel="email", text="<img src=x onerror=alert(1)> hi")
    message = Message.objects.get()
    assert "<img" not in message.html and "&lt;img" in message.html


def test_the_reply_box_offers_assign_to_me_only_when_nobody_has_it(web, outsider):
    free = ConversationFactory()
    taken = ConversationFactory(assignee=outsider)
    assert 'name="claim"' in web.get(f"/c/{free.pk}/").content.decode()
    assert 'name="claim"' not in web.get(f"/c/{taken.pk}/").content.decode()


def test_an_agent_can_turn_assign_on_reply_off(web, admin):
    def claim_box() -> str:
        body = web.get(f"/c/{ConversationFactory().pk}/").content.decode()
        return re.search(r'<input type="checkbox" name="claim"[^>]*>', body).group(0)

    assert "checked" in claim_box()
    admin.claim_on_reply = False
    admin.save()
    assert "checked" not in claim_box()


def test_cc_and_bcc_go_with_an_email_reply_and_bcc_stays_out_of_the_headers(web):
    from sahayak.connectors.email.outbound import build_email
    from sahayak.conversations.delivery import build_outbound

    conversation = email_conversation()
    response = send(
        web,
        conversation,
        channel="email",
        cc="boss@shop.example; ops@shop.example",
        bcc="audit@shop.example",
    )
    assert response.status_code == 204
    message = Message.objects.get()
    assert message.metadata["cc"] == ["boss@shop.example", "ops@shop.example"]
    mime, _id, envelope = build_email(build_outbound(message))
    assert mime["Cc"] == "boss@shop.example, ops@shop.example"
    assert mime["Bcc"] is None
    assert envelope == [
        "meera@mail.example",
        "boss@shop.example",
        "ops@shop.example",
        "audit@shop.example",
    ]


def test_copies_are_refused_when_wrong_or_off_email(web):
    conversation = email_conversation()
    response = send(web, conversation, channel="email", cc="not-an-address")
    assert response.status_code == 422 and "not an email address" in response.content.decode()
    other = ConversationFactory(channel="api")
    response = send(web, other, cc="boss@shop.example")
    assert response.status_code == 422
    assert not Message.objects.exists()
