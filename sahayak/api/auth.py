from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer

from sahayak.accounts.models import TokenScope, User
from sahayak.accounts.services import token_for_secret
from sahayak.ratelimit import per_minute

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class RateLimited(Exception):
    """The token made too many requests this minute (429 with Retry-After)."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


class BearerToken(HttpBearer):
    """``Authorization: Bearer shk_...``; the request's ``auth`` is the token's user.

    Expired and revoked tokens are refused (401), a read-only token may only read (403),
    and each token has a per-minute request budget (429 with Retry-After)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = token_for_secret(token)
        if found is None:
            return None
        if found.scope == TokenScope.READ and request.method not in SAFE_METHODS:
            raise HttpError(403, "This token is read-only.")
        limit = found.rate_limit or settings.SAHAYAK_API_RATE
        wait = per_minute(f"api-rate:{found.pk}", limit)
        if wait:
            raise RateLimited(wait)
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


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
