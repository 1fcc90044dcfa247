from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def workspace(request: HttpRequest) -> dict[str, Any]:
    """The unread notification count for the header (one cheap indexed count)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or request.path.startswith(("/admin/", "/api/")):
        return {}
    from sahayak.notifications.services import unread

    return {"unread_notifications": lambda: unread(user).count()}
