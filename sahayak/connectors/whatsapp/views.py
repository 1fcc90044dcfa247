"""The WhatsApp webhook: the verify-token handshake (GET) and events (POST).

The signature is checked before anything is read; a signed delivery of the right shape
is queued durably and acknowledged, then processed by the worker (``messaging.queue``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sahayak.connectors.messaging import meta, queue, webhooks
from sahayak.connectors.messaging.webhooks import PayloadError, read_json

from .inbound import CHANNEL, check


@csrf_exempt
@require_http_methods(["GET", "POST"])
def webhook(request: HttpRequest, key: str) -> HttpResponse:
    inbox = webhooks.inbox_for(CHANNEL, key)
    if request.method == "GET":
        return meta.handshake(request, str(inbox.config.get("verify_token", "")))
    header = request.headers.get(meta.SIGNATURE_HEADER, "")
    if not meta.signature_ok(str(inbox.config.get("app_secret", "")), request.body, header):
        return HttpResponseForbidden("bad signature", content_type="text/plain")
    try:
        check(read_json(request.body))
    except PayloadError as exc:
        return HttpResponseBadRequest(f"not a WhatsApp webhook: {exc}", content_type="text/plain")
    queue.accept(inbox, request.body, "application/json")
    return HttpResponse("EVENT_RECEIVED", content_type="text/plain")
