from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status
from ninja.errors import HttpError

from sahayak.api.schemas import Error, InboundIn, InboundOut
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
