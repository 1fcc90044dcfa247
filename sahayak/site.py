"""This server's own address, for links sent where no request tells it (a chat answer, an
SMS, an email): ``SAHAYAK_PUBLIC_URL``, else the address ``sahayak serve`` listens on."""

from __future__ import annotations

import os

from django.conf import settings

SERVED_URL_ENV = "SAHAYAK_SERVED_URL"


def public_url(path: str = "/") -> str:
    base = settings.SAHAYAK_PUBLIC_URL or os.environ.get(SERVED_URL_ENV, "")
    return f"{(base or 'http://localhost:8000').rstrip('/')}{path}"


def remember_served_url(host: str, port: int) -> None:
    """Called by ``serve`` (its companions inherit the environment)."""
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - a name for every address, not a bind
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    os.environ[SERVED_URL_ENV] = f"http://{host}:{port}"
