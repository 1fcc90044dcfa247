"""The contract every channel connector passes.

A connector's test module subclasses ``ChannelContract`` and supplies, as fixtures,
``fake`` (a local stand-in for the far end: an HTTP server or an SMTP sink speaking the
real protocol, see ``HttpFake`` and ``SmtpFake``) and ``conversation`` (a conversation on
its channel whose replies go to that fake), plus ``send_inbound``/``send_bad_inbound``
that deliver through the connector's real inbound endpoint. The kit then checks that the
channel is registered with what the product needs to know, that replies reach the far
end, that temporary failures are retried and permanent ones are final with a reason, that
an inbound message delivered twice is stored once, and that bad input is refused with a
reason.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from django.test import Client

from sahayak.conversations import channels
from sahayak.conversations.delivery import deliver
from sahayak.conversations.models import Conversation, DeliveryStatus, Message
from sahayak.conversations.services import reply


class HttpFake:
    """The far end as an HTTP server (``webhook_server``): 200 unless told otherwise."""

    def __init__(self, recorder: Any):
        self.recorder = recorder

    def fail_next(self, *, permanent: bool) -> None:
        self.recorder.statuses.append(400 if permanent else 503)

    def received(self) -> int:
        return len(self.recorder.requests)


class SmtpFake:
    """The far end as an SMTP relay (``smtp_sink``): accepts unless told otherwise."""

    def __init__(self, sink: Any):
        self.sink = sink

    def fail_next(self, *, permanent: bool) -> None:
        self.sink.answers.append(
            "550 5.1.1 No such user" if permanent else "451 4.3.0 Try again later"
        )

    def received(self) -> int:
        return len(self.sink.messages)


@pytest.mark.django_db
class ChannelContract:
    kind: ClassVar[str]
    # False for a channel whose inbound endpoint is tested in its own module only.
    has_inbound: ClassVar[bool] = True

    def send_inbound(self, client: Client, conversation: Conversation, external_id: str) -> Any:
        raise NotImplementedError

    def send_bad_inbound(self, client: Client, conversation: Conversation) -> Any:
        raise NotImplementedError

    # --- the contract ------------------------------------------------------------------

    def test_registers_with_label_icon_and_capabilities(self) -> None:
        channel = channels.get_channel(self.kind)
        assert channel.kind == self.kind and str(channel.label)
        assert channel.icon and channel.app
        assert isinstance(channel.capabilities, channels.Capabilities)
        assert channels.get_adapter(self.kind).send is not None

    def test_a_reply_reaches_the_far_end_and_answers_the_customer(
        self, conversation: Conversation, fake: Any, admin: Any
    ) -> None:
        message = reply(conversation=conversation, author=admin, text="Τα λέμε σύντομα.")
        assert deliver(message.pk) == DeliveryStatus.SENT
        assert fake.received() == 1
        conversation.refresh_from_db()
        assert conversation.first_response_at is not None and conversation.waiting_since is None

    def test_temporary_failure_is_retried_and_permanent_failure_is_final(
        self, conversation: Conversation, fake: Any, admin: Any
    ) -> None:
        message = reply(conversation=conversation, author=admin, text="Hello")
        fake.fail_next(permanent=False)
        assert deliver(message.pk) == DeliveryStatus.RETRYING
        Message.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
        fake.fail_next(permanent=True)
        assert deliver(message.pk) == DeliveryStatus.FAILED
        message.refresh_from_db()
        assert message.delivery_error and message.delivery_attempts == 2
        conversation.refresh_from_db()
        assert conversation.reply_failed and conversation.first_response_at is None

    def test_inbound_delivered_twice_is_stored_once(
        self, conversation: Conversation, client: Client
    ) -> None:
        if not self.has_inbound:
            pytest.skip("inbound is covered by the connector's own tests")
        before = Message.objects.count()
        first = self.send_inbound(client, conversation, "contract-1")
        again = self.send_inbound(client, conversation, "contract-1")
        assert first.status_code < 300 and again.status_code < 300
        assert Message.objects.count() == before + 1

    def test_bad_inbound_is_refused_with_a_reason(
        self, conversation: Conversation, client: Client
    ) -> None:
        if not self.has_inbound:
            pytest.skip("inbound is covered by the connector's own tests")
        before = Message.objects.count()
        response = self.send_bad_inbound(client, conversation)
        assert 400 <= response.status_code < 500
        assert response.content.strip()
        assert Message.objects.count() == before
