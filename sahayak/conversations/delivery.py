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
from .models import (
    Conversation,
    DeliveryStatus,
    Direction,
    EarlyReport,
    Inbox,
    Message,
    Status,
)

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
        return _fail(
            message,
            exc.message,
            permanent=exc.permanent,
            retry_after=exc.retry_after,
            code=exc.code,
            template=(exc.template, exc.params) if exc.template else None,
        )
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
        if message.external_id:
            _apply_early_reports(message)
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


def _fail(
    message: Message,
    reason: str,
    *,
    permanent: bool,
    retry_after: float | None = None,
    code: str = "",
    template: tuple[str, dict[str, str]] | None = None,
) -> str:
    exhausted = message.delivery_attempts >= settings.SAHAYAK_DELIVERY_MAX_ATTEMPTS
    with transaction.atomic():
        if permanent or exhausted:
            message.delivery_status = DeliveryStatus.FAILED
            message.next_attempt_at = None
        else:
            message.delivery_status = DeliveryStatus.RETRYING
            wait = backoff(message.delivery_attempts)
            if retry_after is not None:
                wait = max(wait, timedelta(seconds=min(retry_after, 86400)))
            message.next_attempt_at = timezone.now() + wait
        message.delivery_error = reason[:2000]
        fields = ["delivery_status", "delivery_error", "next_attempt_at"]
        metadata = dict(message.metadata)
        if code or "provider_error" in metadata:
            metadata["provider_error"] = {"code": code[:40]}
        if template or "delivery_reason" in metadata:
            text, params = template or ("", {})
            metadata["delivery_reason"] = {"text": text, "params": params}
        if metadata != message.metadata:
            message.metadata = metadata
            fields.append("metadata")
        message.save(update_fields=fields)
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
    inbox = _inbox(message, conversation)
    return OutboundMessage(
        message_id=message.pk,
        conversation_id=conversation.pk,
        channel=message.channel,
        inbox_id=inbox.pk if inbox else 0,
        inbox_config=inbox.config if inbox else {},
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
        template=dict(message.metadata.get("template") or {}),
        reply_to_external_id=_answered_external_id(message),
        copies={
            kind: [str(a) for a in message.metadata.get(kind) or []][:20]
            for kind in ("cc", "bcc")
            if message.metadata.get(kind)
        },
    )


def _answered_external_id(message: Message) -> str:
    """The provider's id of the customer message this reply quotes, if it quotes one."""
    quoted = message.metadata.get("reply_to")
    if not quoted:
        return ""
    found = (
        Message.objects.filter(pk=quoted, conversation_id=message.conversation_id)
        .values_list("external_id", flat=True)
        .first()
    )
    return found or ""


def _inbox(message: Message, conversation: Any) -> Inbox | None:
    """The conversation's inbox, or for a reply switched to another channel, that channel's."""
    if message.channel == conversation.channel:
        own: Inbox = conversation.inbox
        return own
    return Inbox.objects.filter(channel=message.channel, is_active=True).order_by("id").first()


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


# --- statuses the provider reports later (delivered, read, failed) --------------------------

# How far along a sent message is. A report never moves a message back: "delivered"
# arriving after "read" (providers do not promise order) changes nothing.
_REACHES: dict[str, tuple[str, ...]] = {
    DeliveryStatus.SENT: (*DUE, DeliveryStatus.SENDING),
    DeliveryStatus.DELIVERED: (*DUE, DeliveryStatus.SENDING, DeliveryStatus.SENT),
    DeliveryStatus.READ: (
        *DUE,
        DeliveryStatus.SENDING,
        DeliveryStatus.SENT,
        DeliveryStatus.DELIVERED,
    ),
    # A message the customer has read did arrive, whatever a late failure says.
    DeliveryStatus.FAILED: (DeliveryStatus.SENT, DeliveryStatus.DELIVERED),
}
EARLY_REPORT_HOURS = 24


def advance_status(
    *,
    channel: str,
    external_id: str,
    status: str,
    reason: str = "",
    code: str = "",
) -> Message | None:
    """A provider's status report (sent, delivered, read, failed) about a message we sent.

    Applied only if it moves the message forward. A report about an id we do not know yet
    (the provider reported before our send call returned) is kept and applied when the
    send records the id. Returns the message if it changed."""
    if status not in _REACHES or not external_id:
        return None
    external_id = external_id[:255]
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(channel=channel, external_id=external_id, direction=Direction.OUTBOUND)
            .select_related("conversation")
            .first()
        )
        if message is None:
            EarlyReport.objects.create(
                channel=channel,
                external_id=external_id,
                status=status,
                reason=reason[:2000],
                code=code[:40],
            )
            return None
        return _advance(message, status, reason, code)


def _advance(message: Message, status: str, reason: str, code: str) -> Message | None:
    old = message.delivery_status
    if old not in _REACHES[status]:
        return None
    message.delivery_status = status
    fields = ["delivery_status"]
    if status == DeliveryStatus.FAILED:
        message.delivery_error = reason[:2000]
        message.next_attempt_at = None
        if code:
            message.metadata = {**message.metadata, "provider_error": {"code": code}}
            fields.append("metadata")
        fields += ["delivery_error", "next_attempt_at"]
    message.save(update_fields=fields)
    if status == DeliveryStatus.FAILED:
        _mark_failed(message, reason, old=old)
    else:
        record(
            EventKind.DELIVERY_STATUS,
            message.conversation,
            old=old,
            new=status,
            message=message,
            persist=False,
        )
    return message


def _apply_early_reports(message: Message) -> None:
    """Reports that arrived before the send recorded the provider's id, in rank order."""
    early = list(
        EarlyReport.objects.filter(channel=message.channel, external_id=message.external_id)
    )
    if not early:
        return
    rank = list(_REACHES)
    for report in sorted(early, key=lambda r: rank.index(r.status)):
        _advance(message, report.status, report.reason, report.code)
    EarlyReport.objects.filter(pk__in=[r.pk for r in early]).delete()


def forget_early_reports() -> int:
    """Reports about messages that never turned out to be ours (sent from the provider's
    own app, or by another system on the same number) are dropped after a day."""
    cutoff = timezone.now() - timedelta(hours=EARLY_REPORT_HOURS)
    deleted, _ = EarlyReport.objects.filter(created_at__lt=cutoff).delete()
    return deleted
