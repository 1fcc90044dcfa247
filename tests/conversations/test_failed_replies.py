"""A reply that failed is no answer: the customer keeps waiting, the inbox says so, and the
agent can send it again (a real new attempt), also on another channel."""

from __future__ import annotations

from typing import Any

import pytest

from sahayak.connectors.email.mailboxes import MailboxSettings, forget_addresses, save_mailbox
from sahayak.conversations.delivery import deliver
from sahayak.conversations.models import DeliveryStatus, Message
from sahayak.conversations.pipeline import receive
from tests.conftest import inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(db: Any) -> Any:
    forget_addresses()
    mailbox = save_mailbox(MailboxSettings(name="Support", address="help@shop.example"))
    yield receive(inbound(mailbox, external_id="q1@mail.example")).conversation
    forget_addresses()


def _reply(web: Any, conversation: Any, text: str = "Your refund is on its way.") -> Message:
    response = web.post(f"/c/{conversation.pk}/reply/", {"text": text, "kind": "reply"})
    assert response.status_code == 302
    return Message.objects.filter(conversation=conversation, direction="out").latest("id")


def test_a_refused_reply_leaves_the_customer_waiting_and_is_shown_as_failed(
    conversation: Any, web: Any, smtp_sink: Any
) -> None:
    smtp_sink.answers.append("550 5.1.1 Mailbox unavailable")
    message = _reply(web, conversation)
    assert deliver(message.pk) == DeliveryStatus.FAILED
    conversation.refresh_from_db()
    assert conversation.first_response_at is None
    assert conversation.waiting_since is not None and conversation.reply_failed
    inbox = web.get("/").content.decode()  # the waiting queue still lists it
    assert f"#{conversation.pk}<" in inbox and 'class="badge-failed"' in inbox
    failed_view = web.get("/?view=all&status=any&failed=1").content.decode()
    assert f"#{conversation.pk}<" in failed_view
    page = web.get(f"/c/{conversation.pk}/").content.decode()
    assert "Mailbox unavailable" in page and f"/m/{message.pk}/retry/" in page


def test_the_failed_view_lists_only_conversations_whose_reply_failed(
    conversation: Any, web: Any
) -> None:
    body = web.get("/?view=all&status=any&failed=1").content.decode()
    assert f"#{conversation.pk}<" not in body


def test_retry_makes_a_new_attempt_that_answers_the_customer(
    conversation: Any, web: Any, smtp_sink: Any
) -> None:
    smtp_sink.answers.append("550 5.1.1 Mailbox unavailable")
    message = _reply(web, conversation)
    deliver(message.pk)
    response = web.post(f"/c/{conversation.pk}/m/{message.pk}/retry/", {"channel": "email"})
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.PENDING and message.delivery_attempts == 0
    assert deliver(message.pk) == DeliveryStatus.SENT
    assert len(smtp_sink.messages) == 1
    conversation.refresh_from_db()
    assert not conversation.reply_failed and conversation.waiting_since is None
    assert conversation.first_response_at == Message.objects.get(pk=message.pk).sent_at


def test_only_a_failed_reply_can_be_retried_and_only_on_a_reachable_channel(
    conversation: Any, api: Any, smtp_sink: Any, web: Any
) -> None:
    message = _reply(web, conversation)
    url = f"/api/v1/conversations/{conversation.pk}/messages/{message.pk}/retry"
    assert api.post(url, {}).status_code == 422  # pending, not failed
    smtp_sink.answers.append("550 5.1.1 Mailbox unavailable")
    deliver(message.pk)
    assert api.post(url, {"channel": "chat"}).status_code == 422
    retried = api.post(url, {})
    assert retried.status_code == 200 and retried.json()["delivery_status"] == "pending"


def test_a_new_customer_message_after_a_sent_reply_keeps_the_clock_running(
    conversation: Any, web: Any, smtp_sink: Any
) -> None:
    message = _reply(web, conversation)
    receive(
        inbound(
            conversation.inbox,
            external_id="q2@mail.example",
            text="And?",
            conversation_id=conversation.pk,
        )
    )
    deliver(message.pk)
    conversation.refresh_from_db()
    assert conversation.first_response_at is not None
    assert conversation.waiting_since is not None, "the customer wrote after our reply"
