"""Webhooks are acknowledged once queued and processed by the worker: a delivery is
kept until it is stored, retried when the provider cannot give a file yet, set aside
(with the reason on the health line) when it cannot be processed, and pruned later."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from sahayak.connectors.messaging import queue
from sahayak.connectors.messaging.models import WebhookDelivery
from sahayak.conversations.models import Message

from .fake import envelope, signed, text

pytestmark = pytest.mark.django_db


def _post(client, inbox, body):
    raw, signature = signed(body)
    return client.post(
        f"/hooks/whatsapp/{inbox.public_key}",
        raw,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature,
    )


def test_a_delivery_is_acknowledged_once_queued_and_stored_by_the_worker(client, inbox):
    assert _post(client, inbox, envelope([text("wamid.q1", "hello")])).status_code == 200
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "pending" and not Message.objects.exists()
    assert queue.process(delivery.pk) == "done"
    assert Message.objects.get().external_id == "wamid.q1"
    assert queue.process(delivery.pk) == "skipped"  # done is done


def test_a_forged_delivery_is_not_even_queued(client, inbox):
    raw, _signature = signed(envelope([text("wamid.f", "x")]))
    response = client.post(
        f"/hooks/whatsapp/{inbox.public_key}",
        raw,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256="sha256=" + "1" * 64,
    )
    assert response.status_code == 403 and not WebhookDelivery.objects.exists()


def test_a_file_whatsapp_cannot_give_yet_is_fetched_on_a_later_attempt(client, inbox, fake):
    fake.files["media-later"] = (b"jpeg", "image/jpeg")
    fake.media_down = True
    image = {
        "from": "919812345678",
        "id": "wamid.img",
        "timestamp": "1764680000",
        "type": "image",
        "image": {"id": "media-later", "mime_type": "image/jpeg"},
    }
    _post(client, inbox, envelope([image]))
    delivery = WebhookDelivery.objects.get()
    assert queue.process(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery.next_attempt_at > timezone.now() and "Service unavailable" in delivery.error
    assert not Message.objects.exists()
    fake.media_down = False
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    assert queue.process(delivery.pk) == "done"
    assert Message.objects.get().attachments.get().file.read() == b"jpeg"


def test_a_delivery_that_keeps_failing_is_set_aside_with_its_reason(client, inbox, monkeypatch):
    _post(client, inbox, envelope([text("wamid.bad", "hello")]))
    delivery = WebhookDelivery.objects.get()

    def broken(*args, **kwargs):
        raise RuntimeError("parser bug")

    monkeypatch.setattr("sahayak.connectors.whatsapp.inbound.store_each", broken)
    for _ in range(queue.MAX_ATTEMPTS):
        WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        queue.process(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == "failed" and "parser bug" in delivery.error
    inbox.health.refresh_from_db()
    assert "parser bug" in inbox.health.last_error
    assert bytes(delivery.body).startswith(b'{"object"')  # kept: nothing is lost


def test_lost_tasks_are_enqueued_again_and_old_deliveries_pruned(client, inbox, settings):
    _post(client, inbox, envelope([text("wamid.lost", "hello")]))
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    assert queue.requeue_due() == 1
    assert queue.drain() == 1
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        received_at=timezone.now() - timedelta(days=settings.SAHAYAK_WEBHOOK_KEEP_DAYS + 1)
    )
    assert queue.prune() == 1
    assert Message.objects.filter(external_id="wamid.lost").exists()


def test_deliveries_waiting_together_are_stored_in_one_burst_and_a_bad_one_alone(
    inbox, monkeypatch
):
    from sahayak.connectors.messaging import webhooks

    bursts: list[list[str]] = []
    original = webhooks.receive_many

    def counting(messages):
        bursts.append([m.external_id for m in messages])
        return original(messages)

    monkeypatch.setattr(webhooks, "receive_many", counting)
    first = queue.accept(inbox, signed(envelope([text("wamid.t1", "नमस्ते")]))[0], "application/json")
    broken = queue.accept(inbox, b"not json at all", "application/json")
    last = queue.accept(inbox, signed(envelope([text("wamid.t2", "again")]))[0], "application/json")
    states = queue.process_many([first.pk, broken.pk, last.pk])
    assert states == {first.pk: "done", broken.pk: "pending", last.pk: "done"}
    assert bursts == [["wamid.t1", "wamid.t2"]]
    stored = Message.objects.order_by("pk").values_list("external_id", flat=True)
    assert list(stored) == ["wamid.t1", "wamid.t2"]
    broken.refresh_from_db()
    assert broken.state == "pending" and "JSON" in broken.error


def test_the_workers_task_takes_the_deliveries_due_after_its_own_along(inbox):
    accepted = [
        queue.accept(inbox, signed(envelope([text(f"wamid.w{n}", "hello")]))[0], "application/json")
        for n in range(3)
    ]
    assert queue.process_delivery.call(accepted[0].pk) == "done"
    assert Message.objects.count() == 3
    # Their own tasks come later and find nothing left to do.
    assert [queue.process_delivery.call(d.pk) for d in accepted[1:]] == ["skipped", "skipped"]
    assert Message.objects.count() == 3
