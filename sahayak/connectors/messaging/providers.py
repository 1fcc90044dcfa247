"""Calls to a messaging provider's HTTP API, with one rule for what a failure means.

Success is 2xx. 429, 408 and 5xx are temporary (the delivery path retries, waiting at
least as long as ``Retry-After`` asks); any other 4xx is permanent, with the provider's
own error code and title as the reason. A connector passes how to read its error body
and which of its 4xx error codes mean "slow down" rather than "never".
"""

from __future__ import annotations

import email.utils
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from sahayak.conversations.channels import DeliveryError

_local = threading.local()


@dataclass(frozen=True)
class ProviderError:
    code: str = ""
    title: str = ""
    # A wait the provider asked for in its body (Telegram's parameters.retry_after).
    retry_after: float | None = None


class ProviderFailure(DeliveryError):
    """A failed provider call; ``code`` is the provider's error code (for the message)."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        retry_after: float | None = None,
        code: str = "",
        status: int = 0,
    ):
        super().__init__(message, permanent=permanent, retry_after=retry_after, code=code)
        self.status = status


def client() -> httpx.Client:
    """One pooled client per thread (keep-alive to the provider across messages)."""
    found: httpx.Client | None = getattr(_local, "client", None)
    if found is None:
        found = _local.client = httpx.Client(timeout=settings.SAHAYAK_DELIVERY_TIMEOUT)
    return found


def retry_after(response: httpx.Response) -> float | None:
    """Seconds from a Retry-After header (a number or an HTTP date), if there is one."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def call(
    method: str,
    url: str,
    *,
    provider: str,
    read_error: Callable[[httpx.Response], ProviderError],
    slow_down_codes: frozenset[str] = frozenset(),
    **kwargs: Any,
) -> httpx.Response:
    """Make the call; raise ``ProviderFailure`` (a ``DeliveryError``) unless it succeeded."""
    try:
        response = client().request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise ProviderFailure(
            _("%(p)s did not answer in time.") % {"p": provider}, permanent=False
        ) from exc
    except httpx.HTTPError as exc:
        raise ProviderFailure(
            _("%(p)s could not be reached.") % {"p": provider}, permanent=False
        ) from exc
    if response.is_success:
        return response
    error = read_error(response)
    status = response.status_code
    temporary = status in (408, 429) or status >= 500 or error.code in slow_down_codes
    detail = error.title or _("HTTP %(s)d") % {"s": status}
    reason = f"{detail} ({error.code})" if error.code else detail
    raise ProviderFailure(
        _("%(p)s refused the message: %(r)s") % {"p": provider, "r": reason},
        permanent=not temporary,
        retry_after=retry_after(response)
        if "Retry-After" in response.headers
        else error.retry_after,
        code=error.code,
        status=status,
    )


def json_error(
    response: httpx.Response, path: tuple[str, ...], code: str, title: str
) -> ProviderError:
    """The error of a JSON body such as ``{"error": {"code": 131047, "message": "..."}}``."""
    try:
        body: Any = response.json()
    except ValueError:
        return ProviderError()
    for key in path:
        body = body.get(key) if isinstance(body, dict) else None
    if not isinstance(body, dict):
        return ProviderError()
    return ProviderError(code=str(body.get(code) or ""), title=str(body.get(title) or "")[:300])
