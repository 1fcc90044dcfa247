"""The WhatsApp Business Cloud API (Graph API) as Sahayak uses it: send messages, upload
and fetch media, list message templates, look up the phone number."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from sahayak.connectors.messaging import providers
from sahayak.connectors.messaging.meta import SLOW_DOWN, graph_error, graph_url
from sahayak.connectors.messaging.setup import SetupProblem

PROVIDER = "WhatsApp"


def _auth(config: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {config.get('access_token', '')}"}


def _call(method: str, path: str, config: dict[str, Any], **kwargs: Any) -> Any:
    response = providers.call(
        method,
        graph_url(path),
        provider=PROVIDER,
        read_error=graph_error,
        slow_down_codes=SLOW_DOWN,
        headers=_auth(config),
        **kwargs,
    )
    return response.json()


def send(config: dict[str, Any], payload: dict[str, Any]) -> str:
    """POST /{phone-number-id}/messages; returns the new message's wamid."""
    body = {"messaging_product": "whatsapp", "recipient_type": "individual", **payload}
    answer = _call("POST", f"{config['phone_number_id']}/messages", config, json=body)
    messages = answer.get("messages") or [{}]
    return str(messages[0].get("id") or "")


def upload(config: dict[str, Any], filename: str, content_type: str, content: bytes) -> str:
    """POST /{phone-number-id}/media (multipart); returns the media id to send."""
    answer = _call(
        "POST",
        f"{config['phone_number_id']}/media",
        config,
        data={"messaging_product": "whatsapp", "type": content_type},
        files={"file": (filename, content, content_type)},
    )
    return str(answer.get("id") or "")


def fetch_media(config: dict[str, Any], media_id: str) -> tuple[bytes, str]:
    """GET /{media-id} for its short-lived URL, then the file itself (bearer auth too)."""
    info = _call("GET", media_id, config)
    url, content_type = str(info.get("url") or ""), str(info.get("mime_type") or "")
    if not url:
        raise providers.ProviderFailure(_("WhatsApp gave no address for the file."), permanent=True)
    size = int(info.get("file_size") or 0)
    if size > settings.SAHAYAK_PROVIDER_MEDIA_BYTES:
        raise providers.ProviderFailure(_("The file is too large to fetch."), permanent=True)
    response = providers.call(
        "GET", url, provider=PROVIDER, read_error=graph_error, headers=_auth(config)
    )
    if len(response.content) > settings.SAHAYAK_PROVIDER_MEDIA_BYTES:
        raise providers.ProviderFailure(_("The file is too large to fetch."), permanent=True)
    return response.content, content_type or response.headers.get("Content-Type", "")


def templates(config: dict[str, Any]) -> list[dict[str, Any]]:
    """Every message template of the business account, following the paging cursors."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100, "fields": "name,language,status,category,components"}
    for _page in range(50):
        answer = _call(
            "GET", f"{config['business_account_id']}/message_templates", config, params=params
        )
        found.extend(t for t in answer.get("data") or [] if isinstance(t, dict))
        after = ((answer.get("paging") or {}).get("cursors") or {}).get("after")
        if not after or not (answer.get("paging") or {}).get("next"):
            break
        params = {**params, "after": after}
    return found


def check(config: dict[str, Any]) -> str:
    """The Channels page's Test connection: the number's display form and verified name."""
    try:
        info = _call(
            "GET",
            str(config.get("phone_number_id", "")),
            config,
            params={"fields": "display_phone_number,verified_name"},
        )
        templates(config)
    except providers.ProviderFailure as exc:
        raise SetupProblem(exc.message) from exc
    return f"{info.get('verified_name', '')} {info.get('display_phone_number', '')}".strip()
