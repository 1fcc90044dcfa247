"""Absolute addresses of help center pages, for links that leave the page they are on."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def absolute(request: HttpRequest, path: str) -> str:
    """``path`` on the public address (``SAHAYAK_PUBLIC_URL``), else on the request's host."""
    base = settings.SAHAYAK_PUBLIC_URL
    return f"{base}{path}" if base else request.build_absolute_uri(path)
