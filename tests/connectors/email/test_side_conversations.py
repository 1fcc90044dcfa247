"""Side conversations: an email thread with a supplier from inside a customer's
conversation, sent over real SMTP, answered back into the side thread (never the
customer's), stored once however often it is delivered."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest

from sahayak.connectors.email.inbound import ingest
from sahayak.connectors.email.models import SideConversation, SideMessage
from sahayak.connectors.email.side import token
from sahayak.conversations.models import Conversation, Message
from sahayak.conversations.pipeline import receive
from sahayak.integrations.models import OutboxItem
from sahayak.integrations.outbox import deliver
from tests.conftest import inbound

from .conftest import SUPPORT

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(mailbox: Any) -> Conversation:
    return receive(inbound(mailbox, external_id="c1@mail.example")).conversation


def start(web: Any, conversation: Conversation, **data: Any) -> Any:
    fields = {
        "to": "orders@supplier.example, Stock@Supplier.example",
        "subject": "Parcel ORD-7 lost?",
        "text": "Can you trace ORD-7 for us?",
        **data,
    }
    return web.post(f"/c/{conversation.pk}/side-conversations/", fields, HTTP_HX_REQUEST="true")


def supplier_answer(to: str, *, in_reply_to: str = "", message_id: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = "Orders <orders@supplier.example>"
    mail["To"] = to
    mail["Subject"] = "Re: Parcel ORD-7 lost?"
    mail["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        mail["In-Reply-To"] = f"<{in_reply_to}>"
    mail.set_content("Found it: it leaves today.")
    return mail.as_bytes()


def test_a_side_conversation_is_mailed_with_a_reply_address_of_its_own(
    web: Any, conversation: Conversation, smtp_sink: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "sahayak.connectors.email.backend.RelayEmailBackend"
    response = start(web, conversation)
    assert response.status_code == 204, response.content
    side = SideConversation.objects.get()
    assert side.addresses == ["orders@supplier.example", "stock@supplier.example"]
    (out,) = SideMessage.objects.all()
    assert deliver(out.outbox_item_id) == "sent"
    delivered = sorted(r for _sender, rcpts, _raw in smtp_sink.messages for r in rcpts)
    assert delivered == ["orders@supplier.example", "stock@supplier.example"]
    sent = smtp_sink.parsed()
    local, domain = SUPPORT.split("@")
    assert sent["Reply-To"] == f"{local}+{token(side.pk)}@{domain}"
    assert sent["Message-ID"] == f"<{out.external_id}>"
    assert "trace ORD-7" in sent.get_content()
    # The customer's thread has nothing of it.
    assert not Message.objects.filter(conversation=conversation, direction="out").exists()


def test_the_suppliers_answer_comes_back_to_the_side_thread_once(
    web: Any, conversation: Conversation
) -> None:
    start(web, conversation)
    side = SideConversation.objects.get()
    local, domain = SUPPORT.split("@")
    raw = supplier_answer(f"{local}+{token(side.pk)}@{domain}", message_id="a1@supplier.example")
    assert ingest(raw).status == "side"
    assert ingest(raw).status == "side"  # delivered again: stored once
    answer = SideMessage.objects.get(direction="in")
    assert answer.side == side and "leaves today" in answer.text
    assert Message.objects.filter(conversation=conversation).count() == 1  # the customer's
    assert Conversation.objects.count() == 1
    panel = web.get(f"/c/{conversation.pk}/side/").content.decode()
    assert "leaves today" in panel and "Parcel ORD-7 lost?" in panel


def test_an_answer_to_the_plain_address_is_threaded_by_the_message_it_replies_to(
    web: Any, conversation: Conversation
) -> None:
    start(web, conversation)
    sent = SideMessage.objects.get(direction="out")
    raw = supplier_answer(SUPPORT, in_reply_to=sent.external_id, message_id="a2@supplier.example")
    assert ingest(raw).status == "side"
    assert SideMessage.objects.filter(direction="in").count() == 1


def test_a_forged_side_tag_is_an_ordinary_mail(web: Any, conversation: Conversation) -> None:
    start(web, conversation)
    local, domain = SUPPORT.split("@")
    raw = supplier_answer(f"{local}+s1-aaaaaaaaaaaaaaaa@{domain}", message_id="f@x.example")
    assert ingest(raw).status == "stored"
    assert not SideMessage.objects.filter(direction="in").exists()


def test_replying_in_the_side_thread_threads_the_mail(web: Any, conversation: Conversation) -> None:
    start(web, conversation)
    side = SideConversation.objects.get()
    first = side.messages.get()
    web.post(
        f"/c/{conversation.pk}/side-conversations/{side.pk}/",
        {"text": "Any news?"},
        HTTP_HX_REQUEST="true",
    )
    second = side.messages.order_by("-id").first()
    headers = OutboxItem.objects.get(pk=second.outbox_item_id).payload["headers"]
    assert headers["In-Reply-To"] == f"<{first.external_id}>"


def test_bad_addresses_and_strangers_are_refused(
    web: Any, conversation: Conversation, outsider: Any, private_team: Any
) -> None:
    response = start(web, conversation, to="not-an-address")
    assert response.status_code == 422 and "not an email address" in response.content.decode()
    conversation.team = private_team
    conversation.save()
    from tests.web.conftest import signed_in

    response = start(signed_in(outsider), conversation)
    assert response.status_code == 404
    assert not SideConversation.objects.exists()
