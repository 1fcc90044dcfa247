"""The in-process channel layer used when no Redis is configured.

Channels' in-memory layer sweeps every channel and group for expired entries on each send
and receive: with thousands of open sockets (each chat visitor is one, in two groups) that
sweep dominated the server's time. Sweeping at most once a second keeps expiry as it was
(messages live for a minute; a second more is harmless) at a fraction of the cost.
"""

from __future__ import annotations

import time

from channels.layers import InMemoryChannelLayer

SWEEP_EVERY = 1.0


class LocalChannelLayer(InMemoryChannelLayer):
    _swept_at = 0.0

    def _clean_expired(self) -> None:
        now = time.monotonic()
        if now - self._swept_at < SWEEP_EVERY:
            return
        self._swept_at = now
        super()._clean_expired()
