"""Secrets at rest: passwords of mail servers, webhook and chat identity secrets, TOTP keys.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``). The keys
come from ``SAHAYAK_ENCRYPTION_KEYS`` (comma-separated, newest first) or, when that is unset,
from a key file generated once in the data dir (mode 0600). Several keys allow rotation: new
values use the first key, old values still open with the others, and ``sahayak rotate-keys``
re-encrypts everything with the first.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

PREFIX = "enc:"


class SecretUnreadable(ValueError):
    """A stored secret does not open with any configured key (a lost or wrong key)."""


def _key_file() -> Path:
    return Path(settings.DATA_DIR) / "encryption_keys"


def configured_keys() -> list[str]:
    env = os.environ.get("SAHAYAK_ENCRYPTION_KEYS", "")
    keys = [key.strip() for key in env.split(",") if key.strip()]
    if keys:
        return keys
    path = _key_file()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(Fernet.generate_key().decode() + "\n")
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


@functools.cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in configured_keys()])


def reset_keys() -> None:
    """Forget the loaded keys (after the environment or key file changed)."""
    _fernet.cache_clear()


def is_encrypted(value: str) -> bool:
    return value.startswith(PREFIX)


def encrypt(value: str) -> str:
    """``value`` sealed with the newest key; an empty value stays empty."""
    if not value or is_encrypted(value):
        return value
    return PREFIX + _fernet().encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    """The plain text of a sealed value (a value stored before encryption passes through)."""
    if not value or not is_encrypted(value):
        return value
    try:
        return _fernet().decrypt(value[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(
            "stored secret cannot be decrypted with the configured keys"
        ) from exc


def rotate(value: str) -> str:
    """``value`` re-sealed with the newest key (plain values get sealed)."""
    if not value:
        return value
    if not is_encrypted(value):
        return encrypt(value)
    try:
        return PREFIX + _fernet().rotate(value[len(PREFIX) :].encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(
            "stored secret cannot be decrypted with the configured keys"
        ) from exc
