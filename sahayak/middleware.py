"""Request-level guards that apply to every path."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _


class RequestSizeLimitMiddleware:
    """Refuse bodies over ``SAHAYAK_MAX_REQUEST_BYTES`` with 413 before anything reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH") or "0"
        try:
            size = int(length)
        except ValueError:
            return JsonResponse({"detail": _("Invalid Content-Length header.")}, status=400)
        if size > settings.SAHAYAK_MAX_REQUEST_BYTES:
            return JsonResponse(
                {
                    "detail": _("Request body too large: %(size)d bytes, limit %(limit)d.")
                    % {"size": size, "limit": settings.SAHAYAK_MAX_REQUEST_BYTES}
                },
                status=413,
            )
        return self.get_response(request)
