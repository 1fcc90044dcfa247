"""The Messenger Platform and Instagram messaging Send API (Graph API), as Sahayak uses
them: send text and files, fetch a received attachment, look up the page or account."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from sahayak.connectors.messaging import providers
from sahayak.connectors.messaging.meta import SLOW_DOWN, graph_error, graph_url
from sahayak.connectors.messaging.setup import SetupProblem

LABELS = {"messenger": "Messenger", "instagram": "Instagram"}


def account_id(kind: str, config: dict[str, Any]) -> str:
    return str(config.get("page_id" if kind == "messenger" else "account_id") or "")


def send(kind: str, config: dict[str, Any], body: dict[str, Any], files: Any = None) -> str:
    """POST /{page-or-account-id}/messages; returns the message id."""
    url = graph_url(f"{account_id(kind, config)}/messages")
    params = {"access_token": config.get("access_token", "")}
    if files:
        # A file is uploaded with the message: the message's JSON rides as form fields.
        data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
        response = providers.call(
            "POST",
            url,
            provider=LABELS[kind],
            read_error=graph_error,
            slow_down_codes=SLOW_DOWN,
            params=params,
            data=data,
            files=files,
        )
    else:
        response = providers.call(
            "POST",
            url,
            provider=LABELS[kind],
            read_error=graph_error,
            slow_down_codes=SLOW_DOWN,
            params=params,
            json=body,
        )
    return str(response.json().get("message_id") or "")


def media_allowed(url: str) -> bool:
    """Attachment URLs come in webhooks; only Meta's file hosts are fetched."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in settings.SAHAYAK_META_MEDIA_HOSTS)


def fetch(kind: str, url: str) -> tuple[bytes, str]:
    if not media_allowed(url):
        raise providers.ProviderFailure(_("The file is not on Meta's servers."), permanent=True)
    response = providers.call(
        "GET", url, provider=LABELS[kind], read_error=graph_error, follow_redirects=True
    )
    if len(response.content) > settings.SAHAYAK_PROVIDER_MEDIA_BYTES:
        raise providers.ProviderFailure(_("The file is too large to fetch."), permanent=True)
    return response.content, response.headers.get("Content-Type", "").split(";")[0]


def check(kind: str, config: dict[str, Any]) -> str:
    try:
        response = providers.call(
            "GET",
            graph_url(account_id(kind, config)),
            provider=LABELS[kind],
            read_error=graph_error,
            params={"fields": "name,username", "access_token": config.get("access_token", "")},
        )
    except providers.ProviderFailure as exc:
        raise SetupProblem(exc.message) from exc
    body = response.json()
    return str(body.get("name") or body.get("username") or "")


def check_messenger(config: dict[str, Any]) -> str:
    return check("messenger", config)


def check_instagram(config: dict[str, Any]) -> str:
    return check("instagram", config)
