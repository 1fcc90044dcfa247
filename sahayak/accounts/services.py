"""Operations on agents, tokens and the audit log."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .models import ApiToken, AuditEvent, TokenScope, User

TOKEN_PREFIX = "shk_"  # noqa: S105 - a public prefix, not a secret


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_token(
    *,
    user: User,
    name: str = "",
    scope: str = TokenScope.FULL,
    expires_at: datetime | None = None,
    actor: User | None = None,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is not stored anywhere."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:10],
        key_hash=_hash(secret),
        scope=scope,
        expires_at=expires_at,
    )
    record_audit(
        actor=actor or user,
        action="token.created",
        obj=token,
        data={
            "name": name,
            "scope": scope,
            "expires_at": expires_at.isoformat() if expires_at else None,
        },
    )
    return token, secret


def token_for_secret(secret: str) -> ApiToken | None:
    """The live token (not revoked, not expired, of an active user) a secret opens."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    now = timezone.now()
    tokens = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(secret), revoked_at__isnull=True, user__is_active=True)
        .filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now))[:1]
    )
    if not tokens:
        return None
    token = tokens[0]
    # Touch last_used (and log the use) at most once a minute: a write per request would
    # cost throughput, and the audit log wants to know a token is in use, not every call.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        record_audit(actor=token.user, action="token.used", obj=token)
    return token


def user_for_token(secret: str) -> User | None:
    """The active user a bearer secret belongs to, or None."""
    token = token_for_secret(secret)
    return token.user if token is not None else None


def revoke_api_token(*, token: ApiToken, actor: User | None) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_audit(actor=actor, action="token.revoked", obj=token)


@transaction.atomic
def delete_audited(*, obj: models.Model, actor: User | None) -> None:
    """Delete ``obj`` and record who did it (with its last state) in one transaction."""
    record_audit(
        actor=actor,
        action=f"{obj._meta.model_name}.deleted",
        obj=obj,
        data={"repr": str(obj)[:200]},
    )
    obj.delete()


def record_audit(
    *,
    actor: User | None,
    action: str,
    obj: Any = None,
    data: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
) -> AuditEvent:
    """Append an entry to the audit log (entries are never edited or deleted by the app)."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else object_type,
        object_id=str(obj.pk) if obj is not None else object_id,
        data=data or {},
    )
