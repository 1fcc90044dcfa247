"""Outbound delivery: a message row is the source of truth, the task only a nudge.

A reply is stored with delivery_status=pending; a task sends it through the channel
adapter. Claiming is an UPDATE guarded by status and due time, so two workers never send
the same attempt; a worker killed mid-send leaves a ``sending`` lease that expires and is
picked up again by ``requeue_due`` (at-least-once, with the message id as idempotency key).
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from sahayak.connectors.base import DeliveryError, OutboundMessage
from sahayak.connectors.registry import UnknownChannel, get_adapter

from .models import DeliveryStatus, Direction, Event, Inbox, Message
from .signals import delivery_status_changed

logger = logging.getLogger(__name__)

DUE = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)


def backoff(attempt: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at 1 h, with ±10 % jitter against thundering herds."""
    seconds = min(30 * 2 ** max(attempt - 1, 0), 3600)
    return timedelta(seconds=seconds * random.uniform(0.9, 1.1))


def schedule_delivery(message: Message) -> None:
    """Send once the reply is committed: at once for a live channel, else by the worker."""
    message_id, channel = message.pk, message.channel
    transaction.on_commit(lambda: _dispatch(message_id, channel))


def _dispatch(message_id: int, channel: str) -> None:
    try:
        instant = get_adapter(channel).instant
    except UnknownChannel:
        instant = False
    if instant:
        try:
            deliver(message_id)
            return
        except Exception:  # the worker takes over (an expired lease is picked up again)
            logger.exception("instant delivery of message %s failed", message_id)
    deliver_message.enqueue(message_id)


@task(queue_name="delivery")
def deliver_message(message_id: int) -> str:
    return deliver(message_id)


def _claim(message_id: int) -> bool:
    now = timezone.now()
    claimed = Message.objects.filter(
        pk=message_id, delivery_status__in=DUE, next_attempt_at__lte=now
    ).update(
        delivery_status=DeliveryStatus.SENDING,
        next_attempt_at=now + timedelta(seconds=settings.SAHAYAK_DELIVERY_LEASE_SECONDS),
        delivery_attempts=F("delivery_attempts") + 1,
    )
    return claimed == 1


def deliver(message_id: int) -> str:
    """One delivery attempt; returns the resulting status."""
    if not _claim(message_id):
        return "skipped"
    message = Message.objects.select_related(
        "conversation", "conversation__inbox", "conversation__contact", "author_user"
    ).get(pk=message_id)
    try:
        adapter = get_adapter(message.channel)
        result = adapter.send(build_outbound(message))
    except UnknownChannel:
        return _fail(message, f"no adapter for channel {message.channel!r}", permanent=True)
    except DeliveryError as exc:
        return _fail(message, exc.message, permanent=exc.permanent)
    except Exception as exc:  # an adapter bug must not lose the message: retry, record it
        logger.exception("delivery of message %s crashed", message_id)
        return _fail(message, f"{type(exc).__name__}: {exc}", permanent=False)
    message.delivery_status = DeliveryStatus.SENT
    message.delivery_error = ""
    message.sent_at = timezone.now()
    message.next_attempt_at = None
    if result.external_id:
        message.external_id = result.external_id[:255]
    message.save(
        update_fields=[
            "delivery_status",
            "delivery_error",
            "sent_at",
            "next_attempt_at",
            "external_id",
        ]
    )
    delivery_status_changed.send(sender=None, message=message)
    return message.delivery_status


def _fail(message: Message, reason: str, *, permanent: bool) -> str:
    exhausted = message.delivery_attempts >= settings.SAHAYAK_DELIVERY_MAX_ATTEMPTS
    if permanent or exhausted:
        message.delivery_status = DeliveryStatus.FAILED
        message.next_attempt_at = None
    else:
        message.delivery_status = DeliveryStatus.RETRYING
        message.next_attempt_at = timezone.now() + backoff(message.delivery_attempts)
    message.delivery_error = reason[:2000]
    message.save(update_fields=["delivery_status", "delivery_error", "next_attempt_at"])
    if message.delivery_status == DeliveryStatus.RETRYING:
        deliver_message.using(run_after=message.next_attempt_at).enqueue(message.pk)
    delivery_status_changed.send(sender=None, message=message)
    logger.warning("delivery of message %s: %s (%s)", message.pk, reason, message.delivery_status)
    return message.delivery_status


def build_outbound(message: Message) -> OutboundMessage:
    conversation = message.conversation
    recipients: dict[str, list[str]] = {}
    for kind, address in conversation.contact.identities.values_list("kind", "address"):
        recipients.setdefault(kind, []).append(address)
    newest_first = (
        conversation.messages.filter(external_id__isnull=False, id__lt=message.pk)
        .order_by("-id")
        .values_list("external_id", flat=True)[:20]
    )
    thread_ids = [external_id for external_id in newest_first if external_id]
    attachments = [
        {"filename": a.filename, "content_type": a.content_type, "path": a.file.name}
        for a in message.attachments.all()
    ]
    contact = conversation.contact
    return OutboundMessage(
        message_id=message.pk,
        conversation_id=conversation.pk,
        channel=message.channel,
        inbox_config=_inbox_config(message, conversation),
        text=message.text,
        html=message.html,
        subject=conversation.subject,
        # A name the customer may see: never the agent's own email address.
        author_name=(
            (message.author_user.get_full_name() or message.author_user.username)
            if message.author_user
            else ""
        ),
        recipients=recipients,
        thread_external_ids=list(reversed(thread_ids)),
        attachments=attachments,
        locale=contact.locale or conversation.language,
        recipient_name=contact.name,
        automatic=str(message.metadata.get("automatic", "")),
    )


def _inbox_config(message: Message, conversation: Any) -> dict[str, Any]:
    """The conversation's inbox, or for a reply switched to another channel, that channel's."""
    if message.channel == conversation.channel:
        config: dict[str, Any] = conversation.inbox.config
        return config
    other = (
        Inbox.objects.filter(channel=message.channel, is_active=True)
        .order_by("id")
        .values_list("config", flat=True)
        .first()
    )
    return other or {}


def requeue_due(limit: int = 500) -> int:
    """Re-enqueue deliveries whose task was lost (worker killed, queue wiped).

    Pending or retrying messages that are overdue, and ``sending`` leases that expired.
    """
    now = timezone.now()
    stale = now - timedelta(seconds=60)
    due = Message.objects.filter(
        Q(delivery_status__in=DUE, next_attempt_at__lte=stale)
        | Q(delivery_status=DeliveryStatus.SENDING, next_attempt_at__lte=now)
    ).values_list("pk", flat=True)[:limit]
    ids = list(due)
    if not ids:
        return 0
    Message.objects.filter(pk__in=ids, delivery_status=DeliveryStatus.SENDING).update(
        delivery_status=DeliveryStatus.RETRYING
    )
    # Moving the due time forward keeps a backlogged send from being re-enqueued every sweep.
    Message.objects.filter(pk__in=ids).update(next_attempt_at=now)
    for message_id in ids:
        deliver_message.enqueue(message_id)
    return len(ids)


def record_delivery_report(
    *, channel: str, external_id: str, action: str, reason: str
) -> Message | None:
    """A report from the far end about a message we sent (an email bounce, a provider's
    status callback). Returns the message it concerned, or None if it was not ours."""
    message = (
        Message.objects.filter(
            channel=channel, external_id=external_id[:255], direction=Direction.OUTBOUND
        )
        .select_related("conversation")
        .first()
    )
    if message is None:
        return None
    if action == "failed":
        message.delivery_status = DeliveryStatus.FAILED
        message.delivery_error = reason[:2000]
        message.next_attempt_at = None
        message.save(update_fields=["delivery_status", "delivery_error", "next_attempt_at"])
    elif action in ("delivered", "relayed", "expanded"):
        message.delivery_status = DeliveryStatus.DELIVERED
        message.save(update_fields=["delivery_status"])
    Event.objects.create(
        conversation=message.conversation,
        kind="delivery_report",
        data={"message": message.pk, "action": action[:20], "reason": reason[:500]},
    )
    delivery_status_changed.send(sender=None, message=message)
    return message
