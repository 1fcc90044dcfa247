"""An inbox's settings with its secrets sealed: mail server passwords, webhook and chat
identity secrets, messaging providers' tokens are encrypted in the database (sahayak.crypto) and plain only in memory."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import models

from sahayak import crypto

# Where secrets sit in an inbox's config: a top-level key or a key of a nested object.
SECRET_PATHS: tuple[tuple[str, ...], ...] = (
    ("smtp", "password"),
    ("imap", "password"),
    ("webhook_secret",),
    ("secret",),
    # Messaging providers' credentials (WhatsApp, Messenger, SMS, Telegram).
    ("access_token",),
    ("app_secret",),
    ("auth_token",),
    ("bot_token",),
)
MASK = "••••••••"
logger = logging.getLogger(__name__)


def _map_secrets(config: Any, transform: Any) -> Any:
    if not isinstance(config, dict):
        return config
    result = dict(config)
    for path in SECRET_PATHS:
        holder = result
        for key in path[:-1]:
            inner = holder.get(key)
            if not isinstance(inner, dict):
                holder = None  # type: ignore[assignment]
                break
            holder[key] = inner = dict(inner)
            holder = inner
        if holder is None:
            continue
        value = holder.get(path[-1])
        if isinstance(value, str) and value:
            holder[path[-1]] = transform(value)
    return result


def seal(config: Any) -> Any:
    return _map_secrets(config, crypto.encrypt)


def _open(value: str) -> str:
    try:
        return crypto.decrypt(value)
    except crypto.SecretUnreadable:
        # A lost or wrong key: the setting reads as empty (a login fails and says so)
        # rather than every page that lists inboxes failing.
        logger.error("an inbox secret cannot be decrypted: check SAHAYAK_ENCRYPTION_KEYS")
        return ""


def unseal(config: Any) -> Any:
    return _map_secrets(config, _open)


def masked(config: Any) -> Any:
    """The config for showing to people: every secret replaced by a mask."""
    return _map_secrets(config, lambda _value: MASK)


def unmask(new: Any, old: Any) -> Any:
    """``new`` with every still-masked secret taken from ``old`` (an edit that left the
    mask in place keeps the stored secret)."""
    if not isinstance(new, dict):
        return new
    result = json.loads(json.dumps(new))
    for path in SECRET_PATHS:
        holder, before = result, old if isinstance(old, dict) else {}
        for key in path[:-1]:
            holder = holder.get(key) if isinstance(holder, dict) else None  # type: ignore[assignment]
            before = before.get(key) if isinstance(before, dict) else None  # type: ignore[assignment]
        if isinstance(holder, dict) and holder.get(path[-1]) == MASK:
            holder[path[-1]] = before.get(path[-1], "") if isinstance(before, dict) else ""
    return result


class SealedConfigField(models.JSONField):
    """A JSONField whose known secret keys are encrypted when stored."""

    def get_prep_value(self, value: Any) -> Any:
        return super().get_prep_value(seal(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return unseal(super().from_db_value(value, expression, connection))
