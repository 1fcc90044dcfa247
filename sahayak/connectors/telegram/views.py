"""The Telegram webhook: the secret-token header is checked first; the answer is 200
only once the message is stored (a failure answers 5xx and Telegram sends it again)."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from sahayak.connectors.messaging import webhooks
from sahayak.connectors.messaging.providers import ProviderFailure

from .inbound import CHANNEL, TOKEN_HEADER, message, secret_ok


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, key: str) -> HttpResponse:
    inbox = webhooks.inbox_for(CHANNEL, key)
    if not secret_ok(inbox.config, request.headers.get(TOKEN_HEADER, "")):
        return HttpResponseForbidden("bad secret token", content_type="text/plain")
    try:
        update = json.loads(request.body)
        if not isinstance(update, dict) or "update_id" not in update:
            raise ValueError("no update_id")
        item = message(update, inbox)
    except ValueError as exc:
        return HttpResponseBadRequest(f"not a Telegram update: {exc}", content_type="text/plain")
    except ProviderFailure:
        return HttpResponse("file not available yet", status=503, content_type="text/plain")
    webhooks.store(inbox, [item] if item else [])
    return HttpResponse("ok", content_type="text/plain")
