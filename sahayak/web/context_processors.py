from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from sahayak.conversations import channels


def workspace(request: HttpRequest) -> dict[str, Any]:
    """The unread notification count for the header (one cheap indexed count)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith(("/admin/", "/api/")):
        return {}
    from sahayak.notifications.services import unread
    from sahayak.routing.models import AgentRouting

    return {
        "unread_notifications": lambda: unread(user).count(),
        "channel_settings": _channel_settings,
        "my_routing": lambda: AgentRouting.objects.filter(user=user).first(),
    }


def _channel_settings() -> list[tuple[str, str, str]]:
    """(label, address, url name) of each channel's settings page, for the managers' menu."""
    pages = {
        channel.settings_url: str(channel.settings_label)
        for channel in channels.channels()
        if channel.settings_url
    }
    return [(label, reverse(name), name) for name, label in pages.items()]
