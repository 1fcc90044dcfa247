"""Content-Security-Policy on every HTML page: scripts only from this server or inline
blocks carrying the request's nonce (``{{ csp_nonce }}``), no plugins, no framing.

A page that sets its own policy (uploaded files, chat attachments are sandboxed) keeps it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

# Article videos may come from these players (see knowledge/video.py).
VIDEO_FRAMES = "https://www.youtube-nocookie.com https://player.vimeo.com"


def policy(request: HttpRequest, nonce: str) -> str:
    host = request.get_host()
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            # Style attributes remain in a few templates; styles cannot run code.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: https:",
            "media-src 'self'",
            f"connect-src 'self' ws://{host} wss://{host}",
            f"frame-src {VIDEO_FRAMES}",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
        ]
    )


class Nonce:
    """The request's nonce, drawn when first shown: API and JSON responses, which carry
    no policy, do not pay for the random bytes."""

    __slots__ = ("_value",)

    def __init__(self) -> None:
        self._value = ""

    def __str__(self) -> str:
        if not self._value:
            self._value = secrets.token_urlsafe(16)
        return self._value


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.csp_nonce = Nonce()  # type: ignore[attr-defined]
        response = self.get_response(request)
        if "Content-Security-Policy" not in response and response.get(
            "Content-Type", ""
        ).startswith("text/html"):
            response["Content-Security-Policy"] = policy(request, str(request.csp_nonce))  # type: ignore[attr-defined]
        return response


def nonce(request: HttpRequest) -> dict[str, Any]:
    """Template context: ``csp_nonce`` for the few inline scripts."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
