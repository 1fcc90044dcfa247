"""Single sign-on with OpenID Connect (mozilla-django-oidc does the protocol).

Users are found by email address (created on first sign-in when SAHAYAK_OIDC_CREATE_USERS);
their role follows ``SAHAYAK_OIDC_ROLE_MAP`` ("group=role,…", the strongest role wins) and,
with SAHAYAK_OIDC_TEAM_SYNC, their teams are the existing teams named in the groups claim.
Every role or team change made this way is written to the audit log.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.text import slugify
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from .models import Role, Team, User
from .services import record_audit

STRENGTH = {Role.AGENT: 0, Role.SUPERVISOR: 1, Role.ADMIN: 2}


BACKEND = "sahayak.accounts.sso.SahayakOIDCBackend"


def is_enabled() -> bool:
    return bool(settings.OIDC_RP_CLIENT_ID)


def signed_in_by_sso(backend_path: str) -> bool:
    """Whether a sign-in came through single sign-on (``backend_path`` as Django records
    it on the user and in the session)."""
    return backend_path == BACKEND


def groups_of(claims: dict[str, Any]) -> list[str]:
    value = claims.get(settings.SAHAYAK_OIDC_GROUPS_CLAIM, [])
    if isinstance(value, str):
        value = [value]
    return [str(group) for group in value if isinstance(group, str | int)]


def role_for(groups: list[str]) -> str | None:
    """The strongest role the groups map to; None when no mapping is configured."""
    mapping: dict[str, str] = settings.SAHAYAK_OIDC_ROLE_MAP
    if not mapping:
        return None
    roles = [mapping[group] for group in groups if mapping.get(group) in STRENGTH]
    return max(roles, key=lambda role: STRENGTH[Role(role)], default=Role.AGENT)


class SahayakOIDCBackend(OIDCAuthenticationBackend):  # type: ignore[misc]
    def verify_claims(self, claims: dict[str, Any]) -> bool:
        # An address the provider says is unverified could be anyone's: refuse it.
        return bool(claims.get("email")) and claims.get("email_verified", True) is not False

    def get_username(self, claims: dict[str, Any]) -> str:
        wanted = str(claims.get("preferred_username") or claims["email"].split("@")[0])
        base = slugify(wanted)[:140] or "agent"
        username, n = base, 1
        while User.objects.filter(username=username).exists():
            n += 1
            username = f"{base}-{n}"
        return username

    @transaction.atomic
    def create_user(self, claims: dict[str, Any]) -> User:
        user = User.objects.create_user(
            self.get_username(claims),
            email=claims["email"],
            first_name=str(claims.get("given_name", ""))[:150],
            last_name=str(claims.get("family_name", ""))[:150],
        )
        user.set_unusable_password()
        user.save(update_fields=["password"])
        record_audit(actor=None, action="user.created_by_sso", obj=user)
        return self.update_user(user, claims)

    @transaction.atomic
    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        groups = groups_of(claims)
        role = role_for(groups)
        if role is not None and role != user.role:
            record_audit(
                actor=None,
                action="user.role_changed",
                obj=user,
                data={"from": user.role, "to": role, "by": "sso"},
            )
            user.role = role
            user.save(update_fields=["role"])
        if settings.SAHAYAK_OIDC_TEAM_SYNC:
            wanted = set(Team.objects.filter(name__in=groups).values_list("pk", flat=True))
            current = set(user.teams.values_list("pk", flat=True))
            if wanted != current:
                user.teams.set(wanted)
                record_audit(
                    actor=None,
                    action="user.teams_changed",
                    obj=user,
                    data={"from": sorted(current), "to": sorted(wanted), "by": "sso"},
                )
        return user
