"""Inviting a colleague by email: an account without a password, and a link (the password
reset token, valid for PASSWORD_RESET_TIMEOUT) where they choose one and are in."""

from __future__ import annotations

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from sahayak.site import public_url

from .models import Role, Team, User


class InvitationError(ValueError):
    """The invitation cannot be sent as asked; the message says why."""


def _username(email: str) -> str:
    base = email.split("@", 1)[0][:120] or "agent"
    name, n = base, 1
    while User.objects.filter(username=name).exists():
        n += 1
        name = f"{base}{n}"
    return name


def signup_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return public_url(reverse("web:password_reset_confirm", args=[uid, token]))


def invite(
    *,
    email: str,
    inviter: User,
    role: str = Role.AGENT,
    teams: list[Team] | None = None,
    name: str = "",
    locale: str = "",
) -> User:
    """Create the colleague's account (no password yet) and email them the sign-up link."""
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise InvitationError(_("Write the colleague's email address.")) from None
    if role not in Role.values:
        raise InvitationError(_("Unknown role."))
    if User.objects.filter(email__iexact=email).exists():
        raise InvitationError(_("%(email)s already has an account.") % {"email": email})
    with transaction.atomic():
        user = User(
            username=_username(email),
            email=email,
            first_name=name.strip()[:150],
            role=role,
            locale=locale or inviter.locale,
            time_zone=inviter.time_zone,
        )
        user.set_unusable_password()
        user.save()
        if teams:
            user.teams.set(teams)
    with translation.override(user.locale):
        context = {"inviter": inviter, "link": signup_link(user), "user": user}
        send_mail(
            subject=_("%(name)s invites you to the Sahayak support desk") % {"name": inviter},
            message=render_to_string("web/invitation_email.txt", context),
            from_email=None,
            recipient_list=[email],
        )
    return user
