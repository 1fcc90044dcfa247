"""The Messenger and Instagram webhooks: the verify-token handshake (GET) and events
(POST): ``X-Hub-Signature-256`` checked first, then queued durably and acknowledged; the
worker processes them (``messaging.queue``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from sahayak.connectors.messaging import meta, queue, webhooks
from sahayak.connectors.messaging.webhooks import PayloadError, read_json

from .inbound import check


def _webhook(kind: str, request: HttpRequest, key: str) -> HttpResponse:
    inbox = webhooks.inbox_for(kind, key)
    if request.method == "GET":
        return meta.handshake(request, str(inbox.config.get("verify_token", "")))
    header = request.headers.get(meta.SIGNATURE_HEADER, "")
    if not meta.signature_ok(str(inbox.config.get("app_secret", "")), request.body, header):
        return HttpResponseForbidden("bad signature", content_type="text/plain")
    try:
        check(kind, read_json(request.body))
    except PayloadError as exc:
        return HttpResponseBadRequest(f"not a {kind} webhook: {exc}", content_type="text/plain")
    queue.accept(inbox, request.body, "application/json")
    return HttpResponse("EVENT_RECEIVED", content_type="text/plain")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def messenger(request: HttpRequest, key: str) -> HttpResponse:
    return _webhook("messenger", request, key)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def instagram(request: HttpRequest, key: str) -> HttpResponse:
    return _webhook("instagram", request, key)
