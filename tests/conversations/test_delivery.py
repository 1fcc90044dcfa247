"""Outbound delivery: sent through the adapter, retried with backoff, status recorded."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from sahayak.conversations.delivery import backoff, deliver, requeue_due
from sahayak.conversations.models import DeliveryStatus, Message
from sahayak.conversations.pipeline import receive
from sahayak.conversations.services import ConversationError, reply
from tests.conftest import inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(api_inbox, webhook_server):
    url, _recorder = webhook_server
    api_inbox.config = {"webhook_url": url, "webhook_secret": "s3cret"}
    api_inbox.save()
    return receive(inbound(api_inbox, external_id="in-1")).conversation


def _reply(conversation, admin, text="Your parcel ships today."):
    return reply(conversation=conversation, author=admin, text=text)


def test_reply_is_posted_signed_to_the_webhook_and_marked_sent(conversation, admin, webhook_server):
    _url, recorder = webhook_server
    message = _reply(conversation, admin, "Αποστέλλεται σήμερα.")
    assert message.delivery_status == DeliveryStatus.PENDING
    assert deliver(message.pk) == DeliveryStatus.SENT
    message.refresh_from_db()
    assert message.sent_at is not None and message.external_id == "remote-1"
    request = recorder.requests[0]
    payload = json.loads(request["body"])
    assert payload["message"]["text"] == "Αποστέλλεται σήμερα."
    assert payload["message"]["recipients"] == {"email": ["asha@mail.example"]}
    timestamp = request["headers"]["X-Sahayak-Timestamp"]
    expected = hmac.new(b"s3cret", timestamp.encode() + b"." + request["body"], hashlib.sha256)
    assert request["headers"]["X-Sahayak-Signature"] == "sha256=" + expected.hexdigest()
    assert request["headers"]["Idempotency-Key"] == f"sahayak-message-{message.pk}"


def test_temporary_failure_is_retried_with_backoff_then_sent(conversation, admin, webhook_server):
    _url, recorder = webhook_server
    recorder.statuses = [503]
    message = _reply(conversation, admin)
    assert deliver(message.pk) == DeliveryStatus.RETRYING
    message.refresh_from_db()
    assert "503" in message.delivery_error and message.delivery_attempts == 1
    assert message.next_attempt_at > timezone.now() + timedelta(seconds=20)
    # Not due yet: a second worker picking it up early does nothing.
    assert deliver(message.pk) == "skipped"
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert deliver(message.pk) == DeliveryStatus.SENT
    assert len(recorder.requests) == 2


def test_permanent_failure_is_not_retried(conversation, admin, webhook_server):
    _url, recorder = webhook_server
    recorder.statuses = [410]
    message = _reply(conversation, admin)
    assert deliver(message.pk) == DeliveryStatus.FAILED
    message.refresh_from_db()
    assert message.next_attempt_at is None and "410" in message.delivery_error
    assert "nope" not in message.delivery_error  # the remote body is never shown to agents


def test_an_unreachable_webhook_does_not_reveal_why(conversation, admin, settings):
    from tests.e2e.helpers import free_port

    conversation.inbox.config = {"webhook_url": f"http://127.0.0.1:{free_port()}/hook"}
    conversation.inbox.save()
    message = _reply(conversation, admin)
    assert deliver(message.pk) == DeliveryStatus.RETRYING
    message.refresh_from_db()
    assert message.delivery_error == "The webhook could not be reached."


def test_gives_up_after_the_configured_attempts(conversation, admin, webhook_server, settings):
    settings.SAHAYAK_DELIVERY_MAX_ATTEMPTS = 2
    _url, recorder = webhook_server
    recorder.statuses = [500, 500, 500]
    message = _reply(conversation, admin)
    assert deliver(message.pk) == DeliveryStatus.RETRYING
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert deliver(message.pk) == DeliveryStatus.FAILED


def test_unreachable_webhook_is_a_temporary_failure(api_inbox, admin):
    api_inbox.config = {"webhook_url": "http://127.0.0.1:9/nothing-listens"}
    api_inbox.save()
    conv = receive(inbound(api_inbox)).conversation
    message = _reply(conv, admin)
    assert deliver(message.pk) == DeliveryStatus.RETRYING


def test_a_reply_on_an_unknown_channel_is_refused_and_stores_nothing(api_inbox, admin):
    conv = receive(inbound(api_inbox)).conversation
    with pytest.raises(ConversationError, match="carrier-pigeon"):
        reply(conversation=conv, author=admin, text="hi", channel="carrier-pigeon")
    assert not Message.objects.filter(conversation=conv, direction="out").exists()


def test_a_queued_reply_whose_connector_is_gone_fails_permanently_with_reason(api_inbox, admin):
    conv = receive(inbound(api_inbox)).conversation
    message = Message.objects.create(
        conversation=conv,
        direction="out",
        channel="carrier-pigeon",
        author_user=admin,
        text="hi",
        delivery_status=DeliveryStatus.PENDING,
        next_attempt_at=timezone.now(),
    )
    assert deliver(message.pk) == DeliveryStatus.FAILED
    message.refresh_from_db()
    assert "carrier-pigeon" in message.delivery_error
    conv.refresh_from_db()
    assert conv.reply_failed and conv.first_response_at is None


def test_notes_are_never_delivered(conversation, admin, webhook_server):
    note = reply(conversation=conversation, author=admin, text="internal", note=True)
    assert note.delivery_status == DeliveryStatus.NONE
    assert deliver(note.pk) == "skipped"
    assert webhook_server[1].requests == []


@pytest.mark.django_db(transaction=True)
def test_queued_reply_is_sent_by_the_worker(conversation, admin, webhook_server):
    message = _reply(conversation, admin)  # enqueued on commit
    call_command("worker", batch=True)
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.SENT
    assert len(webhook_server[1].requests) == 1


@pytest.mark.django_db(transaction=True)
def test_sweeper_recovers_a_send_whose_worker_died(conversation, admin, webhook_server):
    message = _reply(conversation, admin)
    # A worker claimed it and was killed: the lease is still in the future, nothing happens.
    Message.objects.filter(pk=message.pk).update(
        delivery_status=DeliveryStatus.SENDING,
        next_attempt_at=timezone.now() + timedelta(seconds=60),
    )
    assert requeue_due() == 0
    Message.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    assert requeue_due() == 1
    # Re-enqueued once: the next sweep leaves it alone while its task waits in the queue.
    assert requeue_due() == 0
    call_command("worker", batch=True)
    message.refresh_from_db()
    assert message.delivery_status == DeliveryStatus.SENT


def test_backoff_grows_and_is_capped():
    assert timedelta(seconds=27) <= backoff(1) <= timedelta(seconds=33)
    assert backoff(3) > backoff(1)
    assert backoff(30) <= timedelta(seconds=3960)


def test_a_sent_reply_marks_first_response_and_stops_the_waiting_clock(conversation, admin):
    assert conversation.waiting_since is not None
    message = _reply(conversation, admin)
    conversation.refresh_from_db()
    # Queued is not answered: the customer still waits until the reply has gone out.
    assert conversation.first_response_at is None and conversation.waiting_since is not None
    assert deliver(message.pk) == DeliveryStatus.SENT
    conversation.refresh_from_db()
    message.refresh_from_db()
    assert conversation.first_response_at == message.sent_at
    assert conversation.waiting_since is None and conversation.status == "open"
