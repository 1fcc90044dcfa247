"""Reading the audit log: filters, pages and a CSV export for administrators."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from .models import AuditEvent

EXPORT_BATCH = 2000


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    actor: str = ""
    object_type: str = ""
    object_id: str = ""
    since: date | None = None
    until: date | None = None


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filtered(f: AuditFilter) -> QuerySet[AuditEvent]:
    rows = AuditEvent.objects.select_related("actor")
    if f.action:
        # "signin" matches signin.failed, signin.locked …; "signin.failed" only itself.
        rows = rows.filter(action__startswith=f.action)
    if f.actor:
        rows = rows.filter(actor__username=f.actor) | rows.filter(actor__email__iexact=f.actor)
    if f.object_type:
        rows = rows.filter(object_type=f.object_type)
    if f.object_id:
        rows = rows.filter(object_id=f.object_id)
    if f.since:
        rows = rows.filter(created_at__gte=_start_of(f.since))
    if f.until:
        rows = rows.filter(created_at__lt=_start_of(f.until) + timedelta(days=1))
    return rows


class _Echo:
    def write(self, value: str) -> str:
        return value


def export_rows(rows: QuerySet[AuditEvent]) -> Iterator[str]:
    """CSV lines for every matching entry, newest first, read in keyset batches."""
    writer = csv.writer(_Echo())
    yield writer.writerow(["id", "time_utc", "actor", "action", "object_type", "object_id", "data"])
    last_id: int | None = None
    while True:
        batch = rows.order_by("-id")
        if last_id is not None:
            batch = batch.filter(id__lt=last_id)
        chunk = list(batch[:EXPORT_BATCH])
        if not chunk:
            return
        for entry in chunk:
            yield writer.writerow(
                [
                    _cell(value)
                    for value in (
                        entry.pk,
                        entry.created_at.astimezone(UTC).isoformat(),
                        entry.actor.get_username() if entry.actor else "",
                        entry.action,
                        entry.object_type,
                        entry.object_id,
                        json.dumps(entry.data, ensure_ascii=False, sort_keys=True),
                    )
                ]
            )
        last_id = chunk[-1].pk


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (failed sign-ins log what an
    attacker typed)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
