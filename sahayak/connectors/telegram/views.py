"""The Telegram webhook: the secret-token header is checked first; an update is queued
durably and acknowledged, then processed by the worker (``messaging.queue``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sahayak.connectors.messaging import queue, webhooks
from sahayak.connectors.messaging.webhooks import PayloadError, read_json

from .inbound import CHANNEL, TOKEN_HEADER, secret_ok


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, key: str) -> HttpResponse:
    inbox = webhooks.inbox_for(CHANNEL, key)
    if not secret_ok(inbox.config, request.headers.get(TOKEN_HEADER, "")):
        return HttpResponseForbidden("bad secret token", content_type="text/plain")
    try:
        if "update_id" not in read_json(request.body):
            raise PayloadError("no update_id")
    except PayloadError as exc:
        return HttpResponseBadRequest(f"not a Telegram update: {exc}", content_type="text/plain")
    queue.accept(inbox, request.body, "application/json")
    return HttpResponse("ok", content_type="text/plain")
