"""The health line of a messaging inbox, written without slowing the hot path: the
inbound timestamp is written at most once every few seconds per process and inbox (one
row updated per message would make every webhook of an inbox queue on one row lock)."""

from __future__ import annotations

import threading
import time

from django.utils import timezone

from sahayak.conversations.models import Inbox

from .models import ChannelHealth

EVERY_SECONDS = 5.0
_last: dict[tuple[int, str], float] = {}
_lock = threading.Lock()


def _due(inbox_id: int, what: str) -> bool:
    now = time.monotonic()
    with _lock:
        if now - _last.get((inbox_id, what), -EVERY_SECONDS) < EVERY_SECONDS:
            return False
        _last[(inbox_id, what)] = now
    return True


def heard_from(inbox: Inbox) -> None:
    if _due(inbox.pk, "in"):
        updated = ChannelHealth.objects.filter(inbox=inbox).update(last_inbound_at=timezone.now())
        if not updated:
            ChannelHealth.objects.get_or_create(
                inbox=inbox, defaults={"last_inbound_at": timezone.now()}
            )


def sent(inbox_id: int) -> None:
    if _due(inbox_id, "out"):
        ChannelHealth.objects.filter(inbox_id=inbox_id).update(last_sent_at=timezone.now())


def went_wrong(inbox_id: int, what: str) -> None:
    ChannelHealth.objects.filter(inbox_id=inbox_id).update(
        last_error=what[:2000], last_error_at=timezone.now()
    )


def forget() -> None:
    """For tests: write the next timestamps at once."""
    with _lock:
        _last.clear()
