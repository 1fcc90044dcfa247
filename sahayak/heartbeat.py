"""Heartbeats: each background part says it is alive; /readyz reads them."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from django.db import DatabaseError
from django.utils import timezone

from .models import Heartbeat

# A part not heard from for this long counts as down.
STALE = timedelta(seconds=60)


def beat(kind: str) -> None:
    """Record that this process (a ``kind`` of part) is alive; a database outage is the
    caller's to handle (it is what the caller waits out)."""
    Heartbeat.objects.update_or_create(
        name=f"{kind}:{socket.gethostname()}:{os.getpid()}"[:100],
        defaults={"beat_at": timezone.now()},
    )


def latest(kind: str) -> datetime | None:
    row = Heartbeat.objects.filter(name__startswith=f"{kind}:").order_by("-beat_at").first()
    return row.beat_at if row else None


def forget_old() -> int:
    """Drop heartbeats of processes long gone (a periodic job)."""
    try:
        deleted, _ = Heartbeat.objects.filter(
            beat_at__lt=timezone.now() - timedelta(days=1)
        ).delete()
    except DatabaseError:
        return 0
    return deleted
