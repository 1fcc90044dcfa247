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

from .channels import DeliveryError, OutboundMessage, UnknownChannel, get_adapter
from .events import EventKind, record
from .models import Conversation, DeliveryStatus, Direction, Inbox, Message, Status

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
    with transaction.atomic():
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
        conversation = _answered(message)
        record(
            EventKind.REPLY_SENT,
            conversation,
            old=DeliveryStatus.SENDING,
            new=DeliveryStatus.SENT,
            message=message,
            channel=message.channel,
        )
    return message.delivery_status


def counts_as_answer(message: Message) -> bool:
    """An agent's reply answers the customer; an acknowledgement or transcript does not."""
    return message.author_user_id is not None and not message.metadata.get("automatic")


def _answered(message: Message) -> Conversation:
    """A reply reached the customer: the first response (if it is one), the waiting clock
    stops (or restarts at the customer's next message if they wrote again after it was
    written), a new conversation becomes open."""
    conversation = Conversation.objects.select_for_update().get(pk=message.conversation_id)
    sent_at = message.sent_at
    assert sent_at is not None
    fields = ["updated_at"]
    if conversation.reply_failed:
        conversation.reply_failed = False
        fields.append("reply_failed")
    if counts_as_answer(message):
        if conversation.last_message_at is None or conversation.last_message_at < sent_at:
            conversation.last_message_at = sent_at
            fields.append("last_message_at")
        if conversation.first_response_at is None:
            conversation.first_response_at = sent_at
            fields.append("first_response_at")
        # Waiting since the customer's first message after this reply, if they wrote again.
        later = (
            Message.objects.filter(
                conversation_id=conversation.pk, direction=Direction.INBOUND, id__gt=message.pk
            )
            .order_by("id")
            .values_list("created_at", flat=True)
            .first()
        )
        if conversation.waiting_since != later:
            conversation.waiting_since = later
            fields.append("waiting_since")
        if conversation.status == Status.NEW:
            conversation.status = Status.OPEN
            conversation.status_changed_at = timezone.now()
            fields += ["status", "status_changed_at"]
            record(
                EventKind.STATUS,
                conversation,
                old=Status.NEW,
                new=Status.OPEN,
                reason="reply_sent",
            )
    conversation.save(update_fields=fields)
    return conversation


def _fail(message: Message, reason: str, *, permanent: bool) -> str:
    exhausted = message.delivery_attempts >= settings.SAHAYAK_DELIVERY_MAX_ATTEMPTS
    with transaction.atomic():
        if permanent or exhausted:
            message.delivery_status = DeliveryStatus.FAILED
            message.next_attempt_at = None
        else:
            message.delivery_status = DeliveryStatus.RETRYING
            message.next_attempt_at = timezone.now() + backoff(message.delivery_attempts)
        message.delivery_error = reason[:2000]
        message.save(update_fields=["delivery_status", "delivery_error", "next_attempt_at"])
        if message.delivery_status == DeliveryStatus.FAILED:
            _mark_failed(message, reason)
        else:
            record(
                EventKind.DELIVERY_STATUS,
                message.conversation,
                old=DeliveryStatus.SENDING,
                new=DeliveryStatus.RETRYING,
                message=message,
                persist=False,
            )
    if message.delivery_status == DeliveryStatus.RETRYING:
        deliver_message.using(run_after=message.next_attempt_at).enqueue(message.pk)
    logger.warning("delivery of message %s: %s (%s)", message.pk, reason, message.delivery_status)
    return message.delivery_status


def _mark_failed(message: Message, reason: str, old: str = DeliveryStatus.SENDING) -> None:
    """The reply will not arrive: the conversation shows it (and keeps waiting)."""
    Conversation.objects.filter(pk=message.conversation_id).update(
        reply_failed=True, updated_at=timezone.now()
    )
    message.conversation.reply_failed = True
    record(
        EventKind.REPLY_FAILED,
        message.conversation,
        old=old,
        new=DeliveryStatus.FAILED,
        message=message,
        channel=message.channel,
        reason=reason[:500],
    )


def build_outbound(message: Message) -> OutboundMessage:
    conversation = message.conversation
    recipients: dict[str, list[str]] = {}
    for kind, address in conversation.contact.identities.values_list("kind", "address"):
        recipients.setdefault(kind, []).append(address)
    only_to = str(message.metadata.get("to", ""))
    if only_to:  # an automatic message for one proven address (a chat transcript)
        recipients = {"email" if "@" in only_to else message.channel: [only_to]}
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
        subject=str(message.metadata.get("subject") or conversation.subject),
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
    old = message.delivery_status
    with transaction.atomic():
        if action == "failed":
            message.delivery_status = DeliveryStatus.FAILED
            message.delivery_error = reason[:2000]
            message.next_attempt_at = None
            message.save(update_fields=["delivery_status", "delivery_error", "next_attempt_at"])
            _mark_failed(message, reason, old=old)
        elif action in ("delivered", "relayed", "expanded"):
            message.delivery_status = DeliveryStatus.DELIVERED
            message.save(update_fields=["delivery_status"])
        record(
            EventKind.DELIVERY_REPORT,
            message.conversation,
            old=old,
            new=message.delivery_status,
            message=message,
            action=action[:20],
            reason=reason[:500],
        )
    return message
