"""Sign-in with a user name or an email address (case-insensitive)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from .models import User


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
            found = User.objects.filter(email__iexact=username.strip()).first()
            if found is not None:
                username = found.get_username()
        user = super().authenticate(request, username=username, password=password, **kwargs)
        return user if isinstance(user, User) else None
