"""Sign-in with a user name or an email address (case-insensitive)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from .models import User


def find_user(login: str) -> User | None:
    """The agent a sign-in name means: an email address (any letter case) or a user name."""
    login = (login or "").strip()
    if not login:
        return None
    if "@" in login:
        return User.objects.filter(email__iexact=login).first()
    return User.objects.filter(username=login).first()


class UsernameOrEmailBackend(ModelBackend):
    """The sign-in form asks for "User name or email": either one works."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if username and "@" in username:
            found = find_user(username)
            if found is not None:
                username = found.get_username()
        user = super().authenticate(request, username=username, password=password, **kwargs)
        return user if isinstance(user, User) else None
