from typing import Any

from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.errors import HttpError

from sahayak.api.auth import current_user
from sahayak.api.routers.conversations import conversation_for
from sahayak.api.schemas import Error, InboundBatchIn, InboundBatchOut, InboundIn, InboundOut
from sahayak.contacts.services import find_contact
from sahayak.conversations.burst import receive_many
from sahayak.conversations.inbound import InboundMessage, InboundRejected
from sahayak.conversations.models import Inbox
from sahayak.conversations.pipeline import ReceiveResult, receive

router = Router(tags=["inbound"])


@router.post("", response={200: InboundOut, 201: InboundOut, 404: Error, 422: Error})
def deliver_inbound(request: HttpRequest, payload: InboundIn):
    """Deliver a customer's message through the API channel.

    ``external_id`` is your id of the message: delivering it again (a retry after a
    timeout) stores nothing new and answers 200 with ``duplicate: true``; a first delivery
    answers 201 only once the message is stored.
    """
    inbox = get_object_or_404(Inbox, pk=payload.inbox_id, channel="api", is_active=True)
    if payload.conversation_id is not None:
        _check_conversation(request, payload, payload.conversation_id)
    try:
        result = receive(_inbound(payload, inbox))
    except InboundRejected as exc:
        raise HttpError(422, str(exc)) from exc
    return Status((200 if result.duplicate else 201), _delivered(result))


@router.post("/batch", response={200: InboundBatchOut, 422: Error})
def deliver_inbound_batch(request: HttpRequest, payload: InboundBatchIn):
    """Deliver up to 100 messages at once (an import, a backlog replayed after an outage).

    Each message is treated as by a single delivery and answered in its place, in order;
    the stored ones are stored together, which is several times faster than one by one.
    The answer is 200 once every message that could be stored is.
    """
    inboxes = Inbox.objects.filter(
        pk__in={m.inbox_id for m in payload.messages}, channel="api", is_active=True
    ).in_bulk()
    results: list[dict[str, Any] | None] = [None] * len(payload.messages)
    pending: list[tuple[int, InboundMessage]] = []
    for n, item in enumerate(payload.messages):
        inbox = inboxes.get(item.inbox_id)
        if inbox is None:
            results[n] = {"status": 404, "error": _("No such inbox.")}
            continue
        try:
            if item.conversation_id is not None:
                _check_conversation(request, item, item.conversation_id)
        except Http404 as exc:
            results[n] = {"status": 404, "error": str(exc)}
            continue
        except HttpError as exc:
            results[n] = {"status": exc.status_code, "error": str(exc)}
            continue
        pending.append((n, _inbound(item, inbox)))
    stored = receive_many([message for _, message in pending])
    for (n, _message), result in zip(pending, stored, strict=True):
        if isinstance(result, InboundRejected):
            results[n] = {"status": 422, "error": str(result)}
        else:
            results[n] = {"status": 200 if result.duplicate else 201, **_delivered(result)}
    return {"results": results}


def _inbound(payload: InboundIn, inbox: Inbox) -> InboundMessage:
    return InboundMessage(
        channel="api",
        inbox=inbox,
        sender_kind=payload.sender.kind,
        sender_address=payload.sender.address,
        sender_name=payload.sender.name,
        text=payload.text,
        html=payload.html,
        subject=payload.subject,
        external_id=payload.external_id,
        conversation_id=payload.conversation_id,
        thread_key=payload.thread_key,
        references=payload.references,
        locale=payload.locale,
        metadata=payload.metadata,
    )


def _delivered(result: ReceiveResult) -> dict[str, Any]:
    return {
        "message_id": result.message.pk,
        "conversation_id": result.conversation.pk,
        "contact_id": result.contact.pk,
        "duplicate": result.duplicate,
    }


def _check_conversation(request: HttpRequest, payload: InboundIn, conversation_id: int) -> None:
    """An explicit conversation must be one the caller may see (404 otherwise, as for any
    object) and belong to the sender: a message is never filed under another customer."""
    conversation = conversation_for(current_user(request), conversation_id)
    try:
        sender = find_contact(kind=payload.sender.kind, address=payload.sender.address)
    except ValueError as exc:
        raise HttpError(422, str(exc)) from exc
    owner = conversation.contact_id
    if sender is None or owner not in (sender.pk, sender.merged_into_id):
        raise HttpError(422, "That conversation belongs to another customer.")
