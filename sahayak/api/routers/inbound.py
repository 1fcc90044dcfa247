from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Status
from ninja.errors import HttpError

from sahayak.api.schemas import EmailInboundOut, Error, InboundIn, InboundOut
from sahayak.connectors.email.inbound import MailDeferred, MailRejected, ingest
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


@router.post(
    "/email",
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
) -> HttpResponse | tuple[int, dict[str, object]]:
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
    body = {
        "status": outcome.status,
        "message_id": outcome.message_id,
        "conversation_id": outcome.conversation_id,
    }
    return Status(201 if outcome.status == "stored" else 200, body)
