"""Each agent sees the workspace in their own language and time zone."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from sahayak.conversations.permissions import remember_for_request

SUPPORTED = {code for code, _name in settings.LANGUAGES}


class AgentPreferencesMiddleware:
    """After authentication: the agent's profile language and zone win over the browser's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith("/api/"):
            return self.get_response(request)
        remember_for_request(user)
        if user.locale in SUPPORTED:
            translation.activate(user.locale)
            request.LANGUAGE_CODE = user.locale
        try:
            timezone.activate(zoneinfo.ZoneInfo(user.time_zone or "UTC"))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
