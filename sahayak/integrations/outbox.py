"""The outbox: every call to another system (a rule's webhook, a rule's mail to someone)
is a row first and a delivery attempt second.

``enqueue_*`` writes the row in the caller's transaction (so a rolled-back rule sends
nothing) and hands it to the worker after commit. ``deliver`` claims the row with a lease
(a killed worker's claim runs out and ``requeue_due`` picks the row up again), makes one
attempt, and either marks it sent, schedules the next attempt with backoff, or gives up: at
once for an answer that will not change (HTTP 4xx other than 408/429, a refused address),
after ``SAHAYAK_DELIVERY_MAX_ATTEMPTS`` otherwise. Each attempt is logged on the row.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from sahayak import crypto, netguard
from sahayak.conversations.delivery import backoff

from .models import OutboxItem, OutboxKind, OutboxStatus
from .signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

logger = logging.getLogger(__name__)

MAX_LOG = 20
DUE = (OutboxStatus.PENDING,)


class Refused(Exception):
    """An attempt that failed for good (``permanent``) or for now."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


def enqueue_webhook(
    url: str,
    event: dict[str, Any],
    *,
    secret: str = "",
    source: str = "",
    conversation_id: int | None = None,
    key: str | None = None,
) -> OutboxItem:
    """A signed JSON POST of ``event`` to ``url``; ``secret`` is stored sealed."""
    body = json.dumps(event, ensure_ascii=False, sort_keys=True, default=str)
    payload = {"body": body, "secret": crypto.encrypt(secret) if secret else ""}
    return _enqueue(OutboxKind.WEBHOOK, url, payload, source, conversation_id, key)


def enqueue_email(
    to: str,
    subject: str,
    text: str,
    *,
    source: str = "",
    conversation_id: int | None = None,
    key: str | None = None,
    also_to: list[str] | None = None,
    from_email: str = "",
    reply_to: str = "",
    headers: dict[str, str] | None = None,
) -> OutboxItem:
    """A plain-text mail to one address (and ``also_to``), sent through the configured
    relay (or kept in the local outbox when none is set)."""
    payload: dict[str, Any] = {"subject": subject[:200], "text": text}
    if also_to:
        payload["also_to"] = also_to
    if from_email:
        payload["from"] = from_email
    if reply_to:
        payload["reply_to"] = reply_to
    if headers:
        payload["headers"] = headers
    return _enqueue(OutboxKind.EMAIL, to, payload, source, conversation_id, key)


def _enqueue(
    kind: str,
    target: str,
    payload: dict[str, Any],
    source: str,
    conversation_id: int | None,
    key: str | None,
) -> OutboxItem:
    if key:
        existing = OutboxItem.objects.filter(key=key).first()
        if existing is not None:
            return existing
    item = OutboxItem.objects.create(
        kind=kind,
        target=target,
        payload=payload,
        source=source[:64],
        conversation_id=conversation_id,
        key=key,
        next_attempt_at=timezone.now(),
    )
    item_id = item.pk
    transaction.on_commit(lambda: deliver_outbox_item.enqueue(item_id))
    return item


@task(queue_name="delivery")
def deliver_outbox_item(item_id: int) -> str:
    return deliver(item_id)


def _claim(item_id: int) -> OutboxItem | None:
    now = timezone.now()
    lease = now + timedelta(seconds=settings.SAHAYAK_DELIVERY_LEASE_SECONDS)
    claimed = OutboxItem.objects.filter(
        pk=item_id, status__in=DUE, next_attempt_at__lte=now
    ).update(status=OutboxStatus.SENDING, next_attempt_at=lease, attempts=F("attempts") + 1)
    return OutboxItem.objects.get(pk=item_id) if claimed else None


def deliver(item_id: int) -> str:
    """One attempt; returns the row's status afterwards ("" when it was not due)."""
    item = _claim(item_id)
    if item is None:
        return ""
    try:
        detail = _send(item)
    except Refused as exc:
        return _failed(item, str(exc), permanent=exc.permanent)
    except Exception as exc:  # an unexpected failure is retried like a network one
        logger.exception("outbox item %s failed", item.pk)
        return _failed(item, type(exc).__name__, permanent=False)
    _log(item, "sent", detail)
    OutboxItem.objects.filter(pk=item.pk).update(
        status=OutboxStatus.SENT, sent_at=timezone.now(), last_error="", log=item.log
    )
    return OutboxStatus.SENT


def _send(item: OutboxItem) -> str:
    if item.kind == OutboxKind.WEBHOOK:
        return _post(item)
    if item.kind == OutboxKind.EMAIL:
        reply_to = item.payload.get("reply_to")
        mail = EmailMessage(
            subject=item.payload.get("subject", ""),
            body=item.payload.get("text", ""),
            from_email=item.payload.get("from") or None,
            to=[item.target, *item.payload.get("also_to", [])],
            reply_to=[reply_to] if reply_to else None,
            headers=item.payload.get("headers") or None,
        )
        try:
            mail.send()
        except Exception as exc:
            raise Refused(f"The mail could not be sent ({type(exc).__name__}).") from exc
        return ""
    raise Refused(f"Unknown kind {item.kind}", permanent=True)


def _post(item: OutboxItem) -> str:
    body = item.payload.get("body", "").encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "Idempotency-Key": f"sahayak-outbox-{item.pk}",
        TIMESTAMP_HEADER: timestamp,
    }
    sealed = item.payload.get("secret") or ""
    if sealed:
        headers[SIGNATURE_HEADER] = sign(crypto.decrypt(sealed), timestamp, body)
    try:
        response = netguard.post(
            item.target, content=body, headers=headers, timeout=settings.SAHAYAK_DELIVERY_TIMEOUT
        )
    except netguard.DestinationRefused as exc:
        raise Refused(str(exc), permanent=True) from exc
    except httpx.TimeoutException as exc:
        raise Refused("The webhook did not answer in time.") from exc
    except httpx.HTTPError as exc:
        raise Refused("The webhook could not be reached.") from exc
    if response.is_success:
        return f"HTTP {response.status_code}"
    code = response.status_code
    raise Refused(f"HTTP {code}", permanent=400 <= code < 500 and code not in (408, 429))


def _log(item: OutboxItem, result: str, detail: str) -> None:
    entry = {"at": timezone.now().isoformat(), "attempt": item.attempts, "result": result}
    if detail:
        entry["detail"] = detail[:200]
    item.log = [*item.log, entry][-MAX_LOG:]


def _failed(item: OutboxItem, reason: str, *, permanent: bool) -> str:
    _log(item, "failed", reason)
    final = permanent or item.attempts >= settings.SAHAYAK_DELIVERY_MAX_ATTEMPTS
    status = OutboxStatus.FAILED if final else OutboxStatus.PENDING
    due = None if final else timezone.now() + backoff(item.attempts)
    OutboxItem.objects.filter(pk=item.pk).update(
        status=status, last_error=reason[:300], log=item.log, next_attempt_at=due
    )
    if due is not None:
        deliver_outbox_item.using(run_after=due).enqueue(item.pk)
    logger.warning("outbox item %s (%s): %s, %s", item.pk, item.source, reason, status)
    return status


def requeue_due(limit: int = 500) -> int:
    """Enqueue rows whose attempt is due (a retry) or whose lease ran out (a killed worker)."""
    now = timezone.now()
    stale = now - timedelta(seconds=60)  # a task for it is probably queued: give it a minute
    ids = list(
        OutboxItem.objects.filter(
            Q(status=OutboxStatus.PENDING, next_attempt_at__lte=stale)
            | Q(status=OutboxStatus.SENDING, next_attempt_at__lte=now)
        ).values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return 0
    OutboxItem.objects.filter(pk__in=ids, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.PENDING
    )
    # Moving the due time forward keeps a backlogged row from being enqueued every sweep.
    OutboxItem.objects.filter(pk__in=ids).update(next_attempt_at=now)
    for item_id in ids:
        deliver_outbox_item.enqueue(item_id)
    return len(ids)


PRUNE_BATCH = 5000


def prune(now: datetime | None = None, batch: int = PRUNE_BATCH) -> int:
    """Remove rows sent or given up more than ``SAHAYAK_OUTBOX_KEEP_DAYS`` ago, oldest first,
    a batch per call; rows still waiting are never removed."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.SAHAYAK_OUTBOX_KEEP_DAYS)
    first = OutboxItem.objects.order_by("id").values_list("id", "created_at", "status")[:batch]
    old = [
        item_id
        for item_id, created, status in first
        if created < cutoff and status in (OutboxStatus.SENT, OutboxStatus.FAILED)
    ]
    if not old:
        return 0
    OutboxItem.objects.filter(id__in=old).delete()
    return len(old)
