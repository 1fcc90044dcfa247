"""Mailboxes: email inboxes with their addresses and IMAP/SMTP settings (passwords are
write-only)."""

from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Status
from ninja.errors import HttpError

from sahayak.api.auth import require_manager
from sahayak.api.schemas import Error
from sahayak.conversations.models import Inbox

from .inbound import MailDeferred, MailRejected, ingest
from .mailboxes import (
    CHANNEL,
    MailboxError,
    MailboxSettings,
    ServerSettings,
    save_mailbox,
    settings_of,
)
from .schemas import EmailInboundOut, MailboxIn, MailboxOut

router = Router(tags=["mailboxes"])
# Mounted at /inbound/email: a raw message from an MTA pipe or a provider's inbound hook.
inbound_router = Router(tags=["inbound"])


def _out(inbox: Inbox) -> dict[str, Any]:
    data = asdict(settings_of(inbox))
    for kind in ("imap", "smtp"):
        if data[kind]:
            data[kind].pop("password", None)
            data[kind].pop("check_destination", None)
    return {"id": inbox.pk, **data}


def _settings(payload: MailboxIn) -> MailboxSettings:
    values = payload.dict()
    for kind in ("imap", "smtp"):
        values[kind] = ServerSettings(**values[kind]) if values[kind] else None
    return MailboxSettings(**values)


@router.get("", response=list[MailboxOut])
def list_mailboxes(request: HttpRequest):
    return [_out(inbox) for inbox in Inbox.objects.filter(channel=CHANNEL).order_by("id")]


@router.get("/{inbox_id}", response={200: MailboxOut, 404: Error})
def get_mailbox(request: HttpRequest, inbox_id: int):
    return _out(get_object_or_404(Inbox, pk=inbox_id, channel=CHANNEL))


@router.post("", response={201: MailboxOut, 403: Error, 422: Error})
def create_mailbox(request: HttpRequest, payload: MailboxIn):
    """Supervisors and admins only. An address may belong to one mailbox."""
    actor = require_manager(request)
    try:
        inbox = save_mailbox(_settings(payload), actor=actor)
    except MailboxError as exc:
        raise HttpError(422, str(exc)) from exc
    return Status(201, _out(inbox))


@router.put("/{inbox_id}", response={200: MailboxOut, 403: Error, 404: Error, 422: Error})
def update_mailbox(request: HttpRequest, inbox_id: int, payload: MailboxIn):
    actor = require_manager(request)
    inbox = get_object_or_404(Inbox, pk=inbox_id, channel=CHANNEL)
    try:
        inbox = save_mailbox(_settings(payload), inbox, actor=actor)
    except MailboxError as exc:
        raise HttpError(422, str(exc)) from exc
    return _out(inbox)


@inbound_router.post(
    "",
    response={200: EmailInboundOut, 201: EmailInboundOut, 413: Error, 422: Error, 429: Error},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
def deliver_email(
    request: HttpRequest, inbox_id: int | None = None, recipient: str = ""
) -> HttpResponse | Status[dict[str, object]]:
    """Deliver one raw email (RFC 822 bytes as the body), e.g. from an MTA pipe or a mail
    provider's inbound hook.

    The mailbox is ``inbox_id`` or the one receiving at ``recipient`` (the envelope
    recipient; ``+tag`` addresses carry reply tokens), else the message's own Delivered-To,
    To and Cc. Answers 201 once stored, 200 for a redelivery (same Message-ID), 422 with
    the reason for what will never be accepted, 429 with Retry-After for a sender over
    the rate limit.
    """
    raw = request.read(settings.SAHAYAK_EMAIL_MAX_BYTES + 1)
    inbox = None
    if inbox_id is not None:
        inbox = get_object_or_404(Inbox, pk=inbox_id, channel="email", is_active=True)
    try:
        outcome = ingest(raw, inbox=inbox, recipients=[recipient] if recipient else [])
    except MailRejected as exc:
        raise HttpError(413 if exc.smtp_status == 552 else 422, exc.reason) from exc
    except MailDeferred as exc:
        response = JsonResponse({"detail": exc.reason}, status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    body: dict[str, object] = {
        "status": outcome.status,
        "message_id": outcome.message_id,
        "conversation_id": outcome.conversation_id,
    }
    return Status(201 if outcome.status == "stored" else 200, body)
