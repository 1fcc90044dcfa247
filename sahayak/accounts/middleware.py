"""Sign-in policy on every workspace request: sessions are kept fresh in the list, and a
role that must use two factors cannot use the workspace until it has them."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import BACKEND_SESSION_KEY
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from . import sessions, sso, twofactor

# What a user who still has to set up two-factor sign-in may reach.
OPEN_PATHS = ("/profile/two-factor/", "/logout/", "/static/", "/login/", "/jsi18n/")


class SignInPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith("/api/"):
            return self.get_response(request)
        sessions.touch(request)
        if (
            twofactor.is_required(user)  # type: ignore[arg-type]
            and not request.path.startswith(OPEN_PATHS)
            # Single sign-on leaves the second factor to the identity provider.
            and not sso.signed_in_by_sso(str(request.session.get(BACKEND_SESSION_KEY, "")))
            and not twofactor.is_enabled(user)  # type: ignore[arg-type]
        ):
            return redirect("web:two_factor")
        return self.get_response(request)
