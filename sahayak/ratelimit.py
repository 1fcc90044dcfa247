"""Fixed-window counters in the cache (shared between processes when it is Redis)."""

from __future__ import annotations

from django.core.cache import cache


def exceeded(key: str, limit: int, window: int) -> bool:
    """Count one more event under ``key``; True once more than ``limit`` happened in the
    ``window`` seconds since the first. A counter lost from the cache starts again."""
    if cache.add(key, 1, timeout=window):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        return False
    return int(count) > limit
