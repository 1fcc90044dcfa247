"""Webhooks are acknowledged once durably queued, then processed.

A provider's request is answered as soon as its raw body is committed (one insert):
providers want an answer within seconds and redeliver otherwise, and the pipeline (contact,
thread, message, rules, routing) takes longer than an insert. Each delivery then goes to
its channel's ``process`` (registered in the channel's ``Setup``): right away on a thread of
the web process that took it (so its live updates reach the agents connected there, with
or without Redis), or, when that process already has a backlog, by the worker. Processing
is idempotent (the provider's message id is the external id), so a delivery processed
twice after a crash, or delivered twice by the provider, is stored once.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from sahayak.conversations.delivery import backoff
from sahayak.conversations.models import Inbox

from . import webhooks
from .models import WebhookDelivery
from .providers import ProviderFailure
from .setup import get_setup

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10


def _lease() -> timedelta:
    return timedelta(seconds=settings.SAHAYAK_WEBHOOK_LEASE_SECONDS)


State = WebhookDelivery.State


# Deliveries read and stored together by the web process (a burst per inbox).
BATCH = 50

_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="webhooks")
_backlog = 0
_waiting: deque[int] = deque()
_draining = False
_backlog_lock = threading.Lock()


def accept(inbox: Inbox, body: bytes, content_type: str) -> WebhookDelivery:
    """Keep the delivery; the caller answers the provider 2xx once this has returned."""
    delivery = WebhookDelivery.objects.create(
        inbox=inbox, body=body, content_type=content_type[:100], next_attempt_at=timezone.now()
    )
    delivery_id = delivery.pk
    transaction.on_commit(lambda: _dispatch(delivery_id))
    return delivery


def _dispatch(delivery_id: int) -> None:
    """Here, after the response, unless this process is behind: then the worker. What
    arrives while the thread here is busy waits for it and is taken up together."""
    global _backlog, _draining
    with _backlog_lock:
        here = _backlog < settings.SAHAYAK_WEBHOOK_LOCAL_BACKLOG
        start = here and not _draining
        if here:
            _backlog += 1
            _waiting.append(delivery_id)
            _draining = True
    if start:
        _pool.submit(_process_here)
    elif not here:
        process_delivery.enqueue(delivery_id)


def _process_here() -> None:
    global _backlog, _draining
    while True:
        with _backlog_lock:
            if not _waiting:
                _draining = False
                return
            ids = [_waiting.popleft() for _ in range(min(BATCH, len(_waiting)))]
        try:
            process_many(ids)
        except Exception:  # the deliveries stay pending: the worker's sweep takes them up
            logger.exception("webhook deliveries %s could not be processed here", ids)
        finally:
            close_old_connections()
            with _backlog_lock:
                _backlog -= len(ids)


@task(queue_name="inbound")
def process_delivery(delivery_id: int) -> str:
    """The worker's task for one delivery, which takes the deliveries due after it along
    (their own tasks then find them done): a backlog is stored in bursts."""
    following = (
        WebhookDelivery.objects.filter(
            state=State.PENDING, next_attempt_at__lte=timezone.now(), pk__gt=delivery_id
        )
        .order_by("pk")
        .values_list("pk", flat=True)[: BATCH - 1]
    )
    return process_many([delivery_id, *following])[delivery_id]


def _claim(delivery_id: int) -> bool:
    now = timezone.now()
    return (
        WebhookDelivery.objects.filter(
            pk=delivery_id, state=State.PENDING, next_attempt_at__lte=now
        ).update(next_attempt_at=now + _lease(), attempts=F("attempts") + 1)
        == 1
    )


def process(delivery_id: int) -> str:
    """Turn one delivery into messages and reports; returns its resulting state."""
    return process_many([delivery_id])[delivery_id]


def process_many(delivery_ids: list[int]) -> dict[int, str]:
    """Turn deliveries into messages and reports: each is read by its channel, then what
    they carry is stored together (one burst per inbox, in arrival order). A delivery that
    cannot be read, or whose messages cannot be stored, is retried on its own; returns each
    delivery's resulting state ("skipped" when another process has it or it is done)."""
    states = {pk: "skipped" for pk in delivery_ids}
    claimed = [pk for pk in delivery_ids if _claim(pk)]
    deliveries = WebhookDelivery.objects.select_related("inbox").in_bulk(claimed)
    read: list[tuple[WebhookDelivery, list[tuple[Inbox, webhooks.Item]]]] = []
    for pk in claimed:
        delivery = deliveries[pk]
        handler = import_string(get_setup(delivery.inbox.channel).process)
        try:
            with webhooks.collecting() as items:
                handler(delivery.inbox, bytes(delivery.body), delivery.content_type)
        except ProviderFailure as exc:
            # A file could not be fetched just now: later, with the provider's pace.
            states[pk] = _retry(delivery, exc.message, exc.retry_after)
            continue
        except Exception as exc:  # a bug or bad data: kept, retried, then set aside
            states[pk] = _failed(delivery, exc)
            continue
        read.append((delivery, items))
    try:
        webhooks.store_each(item for _, items in read for item in items)
        done = [delivery.pk for delivery, _ in read]
    except Exception:
        logger.exception("deliveries %s could not be stored together", [d.pk for d, _ in read])
        done = []
        for delivery, items in read:  # storing is idempotent: each on its own now
            try:
                webhooks.store_each(items)
            except Exception as exc:
                states[delivery.pk] = _failed(delivery, exc)
                continue
            done.append(delivery.pk)
    WebhookDelivery.objects.filter(pk__in=done).update(
        state=State.DONE, next_attempt_at=None, error=""
    )
    states.update(dict.fromkeys(done, State.DONE))
    return states


def _failed(delivery: WebhookDelivery, exc: Exception) -> str:
    logger.error(
        "webhook delivery %s of inbox %s failed",
        delivery.pk,
        delivery.inbox_id,
        exc_info=exc,
    )
    return _retry(delivery, f"{type(exc).__name__}: {exc}", None)


def _retry(delivery: WebhookDelivery, reason: str, wait: float | None) -> str:
    if delivery.attempts >= MAX_ATTEMPTS:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            state=State.FAILED, next_attempt_at=None, error=reason[:2000]
        )
        from . import health

        health.went_wrong(delivery.inbox_id, reason)
        return State.FAILED
    delay = backoff(delivery.attempts)
    if wait is not None:
        delay = max(delay, timedelta(seconds=min(wait, 3600)))
    when = timezone.now() + delay
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=when, error=reason[:2000])
    process_delivery.using(run_after=when).enqueue(delivery.pk)
    return State.PENDING


def requeue_due(limit: int = 500) -> int:
    """Deliveries whose task was lost (the process died between commit and enqueue, a
    worker was killed mid-way and its lease ran out) are enqueued again. A delivery is
    left alone for a while after it fell due: its task may just be waiting its turn."""
    stale = timezone.now() - min(timedelta(seconds=60), _lease())
    ids = list(
        WebhookDelivery.objects.filter(state=State.PENDING, next_attempt_at__lte=stale)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    if ids:
        WebhookDelivery.objects.filter(pk__in=ids).update(next_attempt_at=timezone.now())
        for delivery_id in ids:
            process_delivery.enqueue(delivery_id)
    return len(ids)


def drain(limit: int = 10_000) -> int:
    """Process what is pending now, in arrival order (for `sahayak webhooks --drain`)."""
    ids = list(
        WebhookDelivery.objects.filter(state=State.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for start in range(0, len(ids), BATCH):
        states = process_many(ids[start : start + BATCH])
        done += sum(state == State.DONE for state in states.values())
    return done


def prune(batch: int = 5000) -> int:
    """Processed deliveries are kept SAHAYAK_WEBHOOK_KEEP_DAYS (to look into), then go."""
    cutoff = timezone.now() - timedelta(days=settings.SAHAYAK_WEBHOOK_KEEP_DAYS)
    ids = list(
        WebhookDelivery.objects.filter(Q(state=State.DONE) & Q(received_at__lt=cutoff))
        .order_by("pk")
        .values_list("pk", flat=True)[:batch]
    )
    if not ids:
        return 0
    deleted, _ = WebhookDelivery.objects.filter(pk__in=ids).delete()
    return deleted
