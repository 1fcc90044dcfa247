"""Database ids as they arrive from outside (query strings, form fields, API bodies)."""

from __future__ import annotations

# Largest id a BIGINT column holds; larger numbers overflow the database driver.
MAX_ID = 2**63 - 1


def parse_id(value: object) -> int | None:
    """A positive id from text ("42", "#42"), or None for anything else, however long."""
    text = str(value or "").strip().lstrip("#")
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
