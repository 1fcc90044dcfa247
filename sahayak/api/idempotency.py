"""``Idempotency-Key`` on API POSTs: the first request with a key runs; a retry with the
same key and the same request gets the first answer again (marked ``Idempotent-Replayed``)
without running twice, so a reply retried after a timeout is sent once.

The same key with a different request is refused with 422; a retry while the first is still
running gets 409. Server errors are not remembered (the retry runs); answers are kept for
``SAHAYAK_IDEMPOTENCY_HOURS``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from .models import IdempotentRequest

HEADER = "Idempotency-Key"
MAX_KEY = 255
# Answers not worth keeping: the request did not run (no credentials, throttled).
NOT_KEPT = {401, 403, 429}


def _digest(*parts: bytes) -> str:
    sha = hashlib.sha256()
    for part in parts:
        sha.update(hashlib.sha256(part).digest())
    return sha.hexdigest()


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER, "")
        if request.method != "POST" or not key or not request.path.startswith("/api/"):
            return self.get_response(request)
        if len(key) > MAX_KEY or not key.isprintable():
            return JsonResponse(
                {"detail": f"{HEADER} must be printable and at most {MAX_KEY} characters."},
                status=400,
            )
        caller = _digest(request.headers.get("Authorization", "").encode())
        if (request.content_type or "").startswith("multipart/"):
            # Uploads stream to disk; their size stands in for the body.
            body = request.META.get("CONTENT_LENGTH", "").encode()
        else:
            try:
                body = request.body
            except RequestDataTooBig:
                return self.get_response(request)  # refused with 413 by the API anyway
        fingerprint = _digest(request.method.encode(), request.path.encode(), body)
        try:
            with transaction.atomic():
                entry = IdempotentRequest.objects.create(
                    caller=caller, key=key, fingerprint=fingerprint
                )
        except IntegrityError:
            return self._replay(caller, key, fingerprint)
        try:
            response = self.get_response(request)
        except BaseException:
            IdempotentRequest.objects.filter(pk=entry.pk).delete()
            raise
        if response.status_code >= 500 or response.status_code in NOT_KEPT or response.streaming:
            IdempotentRequest.objects.filter(pk=entry.pk).delete()
            return response
        IdempotentRequest.objects.filter(pk=entry.pk).update(
            status=response.status_code,
            content_type=response.get("Content-Type", ""),
            body=response.content,
        )
        return response

    def _replay(self, caller: str, key: str, fingerprint: str) -> HttpResponse:
        entry = IdempotentRequest.objects.filter(caller=caller, key=key).first()
        if entry is None:  # removed meanwhile (the first try failed): ask for a retry
            return JsonResponse({"detail": "Retry the request."}, status=409)
        if entry.fingerprint != fingerprint:
            return JsonResponse(
                {"detail": f"This {HEADER} was used for a different request."}, status=422
            )
        if entry.status == 0:
            running = JsonResponse(
                {"detail": f"A request with this {HEADER} is still running."}, status=409
            )
            running["Retry-After"] = "1"
            return running
        response = HttpResponse(
            bytes(entry.body), status=entry.status, content_type=entry.content_type or None
        )
        response["Idempotent-Replayed"] = "true"
        return response


def forget_old() -> int:
    """Drop remembered answers older than the retention (a periodic job)."""
    cutoff = timezone.now() - timedelta(hours=settings.SAHAYAK_IDEMPOTENCY_HOURS)
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
