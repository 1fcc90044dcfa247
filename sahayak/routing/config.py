"""The routing configuration every arrival needs, read once and kept while it holds.

Each new message asks which SLA policies are active, which business calendar and holidays
apply and which routing policy governs the inbox: six small reads that change a few times a
month. The snapshot here is kept per process:

- a change saved or deleted through the models (web, API, admin) drops it at once and again
  when its transaction commits, so this process never uses what it replaced;
- other processes read it afresh after ``SAHAYAK_ROUTING_CONFIG_SECONDS`` (2 s by default);
- the passes that recompute every conversation after an edit drop it before they start.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from .models import Calendar, Holiday, RoutingPolicy, SlaPolicy


@dataclass(frozen=True)
class RoutingConfig:
    sla_policies: list[SlaPolicy]  # the active ones, in their order
    routing_policies: list[RoutingPolicy]  # each with its calendar
    calendars: dict[int, Calendar]
    holidays: dict[int, list[Holiday]]  # by calendar id
    read_at: float = field(default_factory=time.monotonic)
    derived: dict[str, Any] = field(default_factory=dict)  # built from the rows, once

    def policy_of_inbox(self, inbox_id: int) -> RoutingPolicy | None:
        return next((p for p in self.routing_policies if p.inbox_id == inbox_id), None)

    def policy_of_team(self, team_id: int) -> RoutingPolicy | None:
        return next((p for p in self.routing_policies if p.team_id == team_id), None)


_lock = threading.Lock()
_current: RoutingConfig | None = None


def current() -> RoutingConfig:
    """The configuration as this process last read it, read again when too old."""
    global _current
    config = _current
    if (
        config is None
        or time.monotonic() - config.read_at > settings.SAHAYAK_ROUTING_CONFIG_SECONDS
    ):
        config = _read()
        with _lock:
            _current = config
    return config


def _read() -> RoutingConfig:
    holidays: dict[int, list[Holiday]] = {}
    for holiday in Holiday.objects.all():
        holidays.setdefault(holiday.calendar_id, []).append(holiday)
    return RoutingConfig(
        sla_policies=list(SlaPolicy.objects.filter(is_active=True)),
        routing_policies=list(RoutingPolicy.objects.select_related("calendar").order_by("pk")),
        calendars={c.pk: c for c in Calendar.objects.all()},
        holidays=holidays,
    )


def forget() -> None:
    """Read the configuration afresh on next use."""
    global _current
    with _lock:
        _current = None


def _changed(**_: Any) -> None:
    forget()
    # A read between the save and the commit (by another thread) saw the old rows.
    transaction.on_commit(forget)


for _model in (SlaPolicy, RoutingPolicy, Calendar, Holiday):
    post_save.connect(_changed, sender=_model, dispatch_uid=f"routing-config-{_model.__name__}")
    post_delete.connect(_changed, sender=_model, dispatch_uid=f"routing-config-d-{_model.__name__}")
