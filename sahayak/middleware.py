"""Request-level guards that apply to every path.

Middleware here is both sync- and async-capable: one sync-only middleware in the chain
makes Django hop between the event loop and threads twice more on every request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from inspect import iscoroutinefunction
from typing import Any

from asgiref.sync import markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _


def _refusal(request: HttpRequest) -> HttpResponse | None:
    """413 for a declared body over ``SAHAYAK_MAX_REQUEST_BYTES``, before anything reads it."""
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
    return None


class RequestSizeLimitMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]):
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponse | Awaitable[HttpResponse]:
        if self.is_async:
            return self._acall(request)
        return _refusal(request) or self.get_response(request)

    async def _acall(self, request: HttpRequest) -> HttpResponse:
        refusal = _refusal(request)
        if refusal is not None:
            return refusal
        response: HttpResponse = await self.get_response(request)
        return response
