from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from sahayak.accounts.models import User
from sahayak.accounts.services import user_for_token


class BearerToken(HttpBearer):
    """``Authorization: Bearer shk_...``; the request's ``auth`` is the token's user."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return user_for_token(token)


def current_user(request: HttpRequest) -> User:
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)
    return user
