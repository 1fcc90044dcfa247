"""The WhatsApp webhook: the verify-token handshake (GET) and events (POST).

The signature is checked before anything is read; the answer is 200 only once every
message of the delivery is stored (a failure answers 5xx and Meta delivers it again)."""

from __future__ import annotations

import json
from collections import defaultdict

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sahayak.connectors.messaging import meta, webhooks
from sahayak.connectors.messaging.providers import ProviderFailure
from sahayak.connectors.messaging.webhooks import PayloadError
from sahayak.conversations.models import Inbox

from .inbound import CHANNEL, parse


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
        payload = json.loads(request.body)
        items = list(parse(payload, inbox))
    except (ValueError, PayloadError) as exc:
        return HttpResponseBadRequest(f"not a WhatsApp webhook: {exc}", content_type="text/plain")
    except ProviderFailure:
        # A file could not be fetched just now: nothing is acknowledged, Meta retries.
        return HttpResponse("media not available yet", status=503, content_type="text/plain")
    by_inbox: dict[int, list] = defaultdict(list)
    inboxes: dict[int, Inbox] = {}
    for target, item in items:
        inboxes[target.pk] = target
        by_inbox[target.pk].append(item)
    for inbox_id, batch in by_inbox.items():
        webhooks.store(inboxes[inbox_id], batch)
    return HttpResponse("EVENT_RECEIVED", content_type="text/plain")
