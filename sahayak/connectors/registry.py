"""Channel kind -> adapter class, imported lazily so a channel costs nothing until used."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

from .base import ChannelAdapter

ADAPTERS: dict[str, str] = {
    "webform": "sahayak.connectors.webform.adapter.WebFormAdapter",
    "api": "sahayak.connectors.api.adapter.ApiChannelAdapter",
    "email": "sahayak.connectors.email.outbound.EmailAdapter",
    "chat": "sahayak.connectors.chat.outbound.ChatAdapter",
    "portal": "sahayak.connectors.portal.adapter.PortalAdapter",
}


class UnknownChannel(LookupError):
    pass


def adapter_paths() -> dict[str, str]:
    return {**ADAPTERS, **getattr(settings, "SAHAYAK_EXTRA_ADAPTERS", {})}


def known_channels() -> list[str]:
    return sorted(adapter_paths())


@cache
def get_adapter(kind: str) -> ChannelAdapter:
    try:
        path = adapter_paths()[kind]
    except KeyError:
        raise UnknownChannel(kind) from None
    adapter: ChannelAdapter = import_string(path)()
    return adapter
