"""The SMS webhooks: incoming messages and status callbacks (Twilio's format).

The signature is checked first; a signed request of the right shape is queued durably
and acknowledged (empty TwiML for a message), then processed by the worker
(``messaging.queue``)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sahayak.connectors.messaging import queue, webhooks
from sahayak.connectors.messaging.webhooks import PayloadError

from . import inbound

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'


def _accept(request: HttpRequest, key: str, event: str) -> HttpResponse | None:
    """None once the request is queued, else the refusal to answer with."""
    inbox = webhooks.inbox_for(inbound.CHANNEL, key)
    if not inbound.signature_ok(request, str(inbox.config.get("auth_token", ""))):
        return HttpResponseForbidden("bad signature", content_type="text/plain")
    try:
        inbound.check(request.POST, event)
    except PayloadError as exc:
        return HttpResponseBadRequest(f"not an SMS webhook: {exc}", content_type="text/plain")
    # Kept as the form it was (whatever encoding it came in), for the worker to read.
    body = urlencode(list(request.POST.lists()), doseq=True).encode()
    queue.accept(inbox, body, f"{inbound.FORM}; event={event}")
    return None


@csrf_exempt
@require_POST
def incoming(request: HttpRequest, key: str) -> HttpResponse:
    return _accept(request, key, "message") or HttpResponse(EMPTY_TWIML, content_type="text/xml")


@csrf_exempt
@require_POST
def status_callback(request: HttpRequest, key: str) -> HttpResponse:
    return _accept(request, key, "status") or HttpResponse(status=204)
