"""Fixed-window counters in the cache (shared between processes when it is Redis)."""

from __future__ import annotations

import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)


def exceeded(key: str, limit: int, window: int) -> bool:
    """Count one more event under ``key``; True once more than ``limit`` happened in the
    ``window`` seconds since the first. A counter lost from the cache starts again, and an
    unreachable cache (Redis down) lets events through rather than failing the request."""
    try:
        if cache.add(key, 1, timeout=window):
            return False
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            return False
    except Exception:  # the cache server is down: degrade to no limit, loudly
        logger.warning("rate limit cache unreachable; %s not counted", key, exc_info=True)
        return False
    return int(count) > limit


def per_minute(key: str, limit: int) -> int:
    """Count one event in the current clock minute; 0 while under ``limit``, else the
    seconds until the minute ends (for Retry-After)."""
    now = time.time()
    if not exceeded(f"{key}:{int(now // 60)}", limit, 60):
        return 0
    return max(1, 60 - int(now % 60))
