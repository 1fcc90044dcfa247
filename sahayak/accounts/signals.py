"""Sign-ins and sign-outs: the session list and the audit log follow them."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from . import sessions, sso
from .models import User


@receiver(user_logged_in, dispatch_uid="sahayak-signed-in")
def signed_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    method = "sso" if sso.signed_in_by_sso(str(getattr(user, "backend", ""))) else "password"
    sessions.started(request, user, method)


@receiver(user_logged_out, dispatch_uid="sahayak-signed-out")
def signed_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        sessions.forget(request.session.session_key)
