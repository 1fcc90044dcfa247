"""What Meta's webhooks share (WhatsApp Cloud API, Messenger, Instagram): the
verify-token handshake and the ``X-Hub-Signature-256`` check, and the Graph API's base
URL and error body."""

from __future__ import annotations

import hashlib
import hmac

import httpx
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils.translation import gettext_lazy

from .providers import ProviderError, json_error
from .setup import Field

SIGNATURE_HEADER = "X-Hub-Signature-256"
# Graph error codes that mean "too many, slow down" or "try again", not "never".
SLOW_DOWN = frozenset(
    {"1", "2", "4", "17", "32", "613", "80007", "130429", "131000", "131016", "131048", "131056"}
)


def signing_fields() -> tuple[Field, Field]:
    """The settings every Meta channel has: the app secret that signs its webhooks and
    the verify token of the subscription handshake."""
    return (
        Field(
            "app_secret",
            gettext_lazy("App secret"),
            gettext_lazy("Signs the webhooks (App settings → Basic)."),
            secret=True,
        ),
        Field(
            "verify_token",
            gettext_lazy("Verify token"),
            gettext_lazy(
                "Paste it at Meta with the webhook address; made up for you when left empty."
            ),
            generated=True,
        ),
    )


def graph_url(path: str) -> str:
    return f"{settings.SAHAYAK_GRAPH_API_URL.rstrip('/')}/{path.lstrip('/')}"


def signature_ok(app_secret: str, body: bytes, header: str) -> bool:
    """``header`` is ``sha256=<hex HMAC-SHA256 of the raw body under the app secret>``."""
    if not app_secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len("sha256=") :].strip().lower())


def handshake(request: HttpRequest, verify_token: str) -> HttpResponse:
    """The subscription check: echo ``hub.challenge`` when the token is ours."""
    given = request.GET.get("hub.verify_token", "")
    if (
        request.GET.get("hub.mode") == "subscribe"
        and verify_token
        and hmac.compare_digest(given.encode(), verify_token.encode())
    ):
        return HttpResponse(request.GET.get("hub.challenge", "")[:200], content_type="text/plain")
    return HttpResponseForbidden("verify token mismatch", content_type="text/plain")


def graph_error(response: httpx.Response) -> ProviderError:
    error = json_error(response, ("error",), "code", "message")
    if error.code or error.title:
        return error
    return ProviderError()
