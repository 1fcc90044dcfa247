"""The Messenger and Instagram webhooks: the verify-token handshake (GET) and events
(POST, ``X-Hub-Signature-256`` checked first; 200 only once everything is stored)."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sahayak.connectors.messaging import meta, webhooks
from sahayak.connectors.messaging.providers import ProviderFailure
from sahayak.connectors.messaging.webhooks import PayloadError
from sahayak.conversations.models import Inbox

from .inbound import parse


def _webhook(kind: str, request: HttpRequest, key: str) -> HttpResponse:
    inbox = webhooks.inbox_for(kind, key)
    if request.method == "GET":
        return meta.handshake(request, str(inbox.config.get("verify_token", "")))
    header = request.headers.get(meta.SIGNATURE_HEADER, "")
    if not meta.signature_ok(str(inbox.config.get("app_secret", "")), request.body, header):
        return HttpResponseForbidden("bad signature", content_type="text/plain")
    try:
        items = list(parse(kind, json.loads(request.body), inbox))
    except (ValueError, PayloadError) as exc:
        return HttpResponseBadRequest(f"not a {kind} webhook: {exc}", content_type="text/plain")
    except ProviderFailure:
        return HttpResponse("file not available yet", status=503, content_type="text/plain")
    batches: dict[int, list[Any]] = defaultdict(list)
    inboxes: dict[int, Inbox] = {}
    for target, item in items:
        inboxes[target.pk] = target
        batches[target.pk].append(item)
    for inbox_id, batch in batches.items():
        webhooks.store(inboxes[inbox_id], batch)
    return HttpResponse("EVENT_RECEIVED", content_type="text/plain")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def messenger(request: HttpRequest, key: str) -> HttpResponse:
    return _webhook("messenger", request, key)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def instagram(request: HttpRequest, key: str) -> HttpResponse:
    return _webhook("instagram", request, key)
