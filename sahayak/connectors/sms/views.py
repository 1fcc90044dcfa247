"""The SMS webhooks: incoming messages and status callbacks (Twilio's format).

The signature is checked first; an incoming message is answered with empty TwiML only
once it is stored (a failure answers 5xx and the provider retries)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sahayak.connectors.messaging import webhooks
from sahayak.connectors.messaging.providers import ProviderFailure
from sahayak.connectors.messaging.webhooks import PayloadError

from . import inbound

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _checked(request: HttpRequest, key: str) -> tuple[object, HttpResponse | None]:
    inbox = webhooks.inbox_for(inbound.CHANNEL, key)
    if not inbound.signature_ok(request, str(inbox.config.get("auth_token", ""))):
        return inbox, HttpResponseForbidden("bad signature", content_type="text/plain")
    return inbox, None


@csrf_exempt
@require_POST
def incoming(request: HttpRequest, key: str) -> HttpResponse:
    inbox, refused = _checked(request, key)
    if refused:
        return refused
    try:
        message = inbound.message(request.POST, inbox)  # type: ignore[arg-type]
    except PayloadError as exc:
        return HttpResponseBadRequest(f"not an SMS webhook: {exc}", content_type="text/plain")
    except ProviderFailure:
        return HttpResponse("media not available yet", status=503, content_type="text/plain")
    webhooks.store(inbox, [message])  # type: ignore[arg-type]
    word = message.metadata[inbound.CHANNEL]["keyword"]
    if word:
        inbound.record_keyword(message.sender_address, word)
    return HttpResponse(EMPTY_TWIML, content_type="text/xml")


@csrf_exempt
@require_POST
def status_callback(request: HttpRequest, key: str) -> HttpResponse:
    inbox, refused = _checked(request, key)
    if refused:
        return refused
    report = inbound.status(request.POST)
    if report is not None:
        webhooks.store(inbox, [report])  # type: ignore[arg-type]
    return HttpResponse(status=204)
