"""Mailboxes: email inboxes with their addresses and IMAP/SMTP settings (passwords are
write-only)."""

from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status
from ninja.errors import HttpError

from sahayak.api.auth import require_manager
from sahayak.api.schemas import Error, MailboxIn, MailboxOut
from sahayak.connectors.email.mailboxes import (
    CHANNEL,
    MailboxError,
    MailboxSettings,
    ServerSettings,
    save_mailbox,
    settings_of,
)
from sahayak.conversations.models import Inbox

router = Router(tags=["mailboxes"])


def _out(inbox: Inbox) -> dict[str, Any]:
    data = asdict(settings_of(inbox))
    for kind in ("imap", "smtp"):
        if data[kind]:
            data[kind].pop("password", None)
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
    require_manager(request)
    try:
        inbox = save_mailbox(_settings(payload))
    except MailboxError as exc:
        raise HttpError(422, str(exc)) from exc
    return Status(201, _out(inbox))


@router.put("/{inbox_id}", response={200: MailboxOut, 403: Error, 404: Error, 422: Error})
def update_mailbox(request: HttpRequest, inbox_id: int, payload: MailboxIn):
    require_manager(request)
    inbox = get_object_or_404(Inbox, pk=inbox_id, channel=CHANNEL)
    try:
        inbox = save_mailbox(_settings(payload), inbox)
    except MailboxError as exc:
        raise HttpError(422, str(exc)) from exc
    return _out(inbox)
