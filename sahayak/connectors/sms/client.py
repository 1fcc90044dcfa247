"""A Twilio-compatible REST API (the 2010-04-01 Messages resource) as Sahayak uses it:
send a message with a status callback, fetch a received file, check the account."""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from sahayak.connectors.messaging import providers
from sahayak.connectors.messaging.setup import SetupProblem

PROVIDER = "SMS"
# Twilio codes that mean "too many requests, try later" (429 is also retried).
SLOW_DOWN = frozenset({"20429", "14107"})


def _url(config: dict[str, Any], resource: str) -> str:
    base = settings.SAHAYAK_TWILIO_API_URL.rstrip("/")
    return f"{base}/2010-04-01/Accounts/{config.get('account_sid', '')}{resource}"


def _auth(config: dict[str, Any]) -> tuple[str, str]:
    return str(config.get("account_sid", "")), str(config.get("auth_token", ""))


def _error(response: httpx.Response) -> providers.ProviderError:
    try:
        body = response.json()
    except ValueError:
        return providers.ProviderError()
    if not isinstance(body, dict):
        return providers.ProviderError()
    return providers.ProviderError(
        code=str(body.get("code") or ""), title=str(body.get("message") or "")[:300]
    )


def send(config: dict[str, Any], *, to: str, body: str, status_callback: str) -> str:
    """POST .../Messages.json; returns the message SID."""
    form = {"To": to, "Body": body}
    if config.get("messaging_service_sid"):
        form["MessagingServiceSid"] = str(config["messaging_service_sid"])
    else:
        form["From"] = str(config.get("from_number", ""))
    if status_callback:
        form["StatusCallback"] = status_callback
    response = providers.call(
        "POST",
        _url(config, "/Messages.json"),
        provider=PROVIDER,
        read_error=_error,
        slow_down_codes=SLOW_DOWN,
        data=form,
        auth=_auth(config),
    )
    return str(response.json().get("sid") or "")


def fetch_media(config: dict[str, Any], url: str) -> tuple[bytes, str]:
    """A received MMS file; the provider's media URLs take the account's credentials.
    Only the provider's own addresses are fetched (the URL comes from a webhook)."""
    if not url.startswith(settings.SAHAYAK_TWILIO_API_URL.rstrip("/") + "/"):
        raise providers.ProviderFailure(
            _("The file is not on the provider's server."), permanent=True
        )
    response = providers.call(
        "GET", url, provider=PROVIDER, read_error=_error, auth=_auth(config), follow_redirects=True
    )
    if len(response.content) > settings.SAHAYAK_PROVIDER_MEDIA_BYTES:
        raise providers.ProviderFailure(_("The file is too large to fetch."), permanent=True)
    return response.content, response.headers.get("Content-Type", "").split(";")[0]


def check(config: dict[str, Any]) -> str:
    try:
        response = providers.call(
            "GET", _url(config, ".json"), provider=PROVIDER, read_error=_error, auth=_auth(config)
        )
    except providers.ProviderFailure as exc:
        raise SetupProblem(exc.message) from exc
    body = response.json()
    if body.get("status") not in (None, "active"):
        raise SetupProblem(_("The SMS account is %(s)s.") % {"s": body.get("status")})
    return str(body.get("friendly_name") or "")
