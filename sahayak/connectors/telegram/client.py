"""The Telegram Bot API as Sahayak uses it: send text and files (uploaded directly, no
public URL needed), fetch received files, set or remove the webhook, long-poll updates."""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from sahayak.connectors.messaging import providers
from sahayak.connectors.messaging.setup import SetupProblem

PROVIDER = "Telegram"


def _url(config: dict[str, Any], method: str) -> str:
    return (
        f"{settings.SAHAYAK_TELEGRAM_API_URL.rstrip('/')}/bot{config.get('bot_token', '')}/{method}"
    )


def _error(response: httpx.Response) -> providers.ProviderError:
    try:
        body = response.json()
    except ValueError:
        return providers.ProviderError()
    if not isinstance(body, dict):
        return providers.ProviderError()
    wait = (body.get("parameters") or {}).get("retry_after")
    return providers.ProviderError(
        code=str(body.get("error_code") or ""),
        title=str(body.get("description") or "")[:300],
        retry_after=float(wait) if isinstance(wait, (int, float)) else None,
    )


def call(
    config: dict[str, Any], method: str, *, timeout: float | None = None, **kwargs: Any
) -> Any:
    """One Bot API method; its ``result``. A 429's ``parameters.retry_after`` is honoured."""
    if timeout is not None:
        kwargs["timeout"] = timeout
    response = providers.call(
        "POST", _url(config, method), provider=PROVIDER, read_error=_error, **kwargs
    )
    body = response.json()
    if not body.get("ok"):
        raise providers.ProviderFailure(
            _("Telegram refused the call: %(r)s") % {"r": body.get("description", "")},
            permanent=True,
        )
    return body.get("result")


def send(
    config: dict[str, Any], method: str, data: dict[str, Any], files: dict[str, Any] | None = None
) -> dict[str, Any]:
    result = (
        call(config, method, data=data, files=files) if files else call(config, method, json=data)
    )
    return result if isinstance(result, dict) else {}


def fetch_file(config: dict[str, Any], file_id: str) -> bytes:
    info = call(config, "getFile", json={"file_id": file_id}) or {}
    path = str(info.get("file_path") or "")
    if not path:
        raise providers.ProviderFailure(_("Telegram gave no path for the file."), permanent=True)
    if int(info.get("file_size") or 0) > settings.SAHAYAK_PROVIDER_MEDIA_BYTES:
        raise providers.ProviderFailure(_("The file is too large to fetch."), permanent=True)
    base = settings.SAHAYAK_TELEGRAM_API_URL.rstrip("/")
    response = providers.call(
        "GET",
        f"{base}/file/bot{config.get('bot_token', '')}/{path}",
        provider=PROVIDER,
        read_error=_error,
    )
    return response.content


def check(config: dict[str, Any]) -> str:
    try:
        me = call(config, "getMe") or {}
    except providers.ProviderFailure as exc:
        raise SetupProblem(exc.message) from exc
    return f"@{me.get('username', '')}"
