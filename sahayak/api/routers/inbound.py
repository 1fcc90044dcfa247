from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status
from ninja.errors import HttpError

from sahayak.api.auth import current_user
from sahayak.api.routers.conversations import conversation_for
from sahayak.api.schemas import Error, InboundIn, InboundOut
from sahayak.contacts.services import find_contact
from sahayak.conversations.inbound import InboundMessage, InboundRejected
from sahayak.conversations.models import Inbox
from sahayak.conversations.pipeline import receive

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
        result = receive(
            InboundMessage(
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
        )
    except InboundRejected as exc:
        raise HttpError(422, str(exc)) from exc
    body = {
        "message_id": result.message.pk,
        "conversation_id": result.conversation.pk,
        "contact_id": result.contact.pk,
        "duplicate": result.duplicate,
    }
    return Status((200 if result.duplicate else 201), body)


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
