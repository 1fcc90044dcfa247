"""Operations on agents, tokens and the audit log."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .models import ApiToken, AuditEvent, User

TOKEN_PREFIX = "shk_"  # noqa: S105 - a public prefix, not a secret


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_token(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is not stored anywhere."""
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, prefix=secret[:10], key_hash=_hash(secret)
    )
    record_audit(actor=user, action="token.created", obj=token, data={"name": name})
    return token, secret


def user_for_token(secret: str) -> User | None:
    """The active user a bearer secret belongs to, or None."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    tokens = ApiToken.objects.select_related("user").filter(
        key_hash=_hash(secret), revoked_at__isnull=True, user__is_active=True
    )[:1]
    if not tokens:
        return None
    token = tokens[0]
    now = timezone.now()
    # Touch last_used at most once a minute: a write per request would cost throughput.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


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
    *, actor: User | None, action: str, obj: Any, data: dict[str, Any] | None = None
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        data=data or {},
    )
