from __future__ import annotations

from django.http import HttpRequest
from ninja.errors import HttpError
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


def require_manager(request: HttpRequest) -> User:
    """Deleting records is for supervisors and admins; agents get 403 with the reason."""
    user = current_user(request)
    if not user.sees_everything:
        raise HttpError(403, "Only supervisors and admins may delete records.")
    return user
