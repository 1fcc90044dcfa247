"""The SLA watcher (a periodic job): a deadline drawing near or passed becomes an event.

Each running clock's deadline is announced once as a warning (``warn_minutes`` before) and
once as a breach; a clock that restarts (a new next-response cycle) has a new deadline and
is announced again. Warnings wait for the conversation's business hours (nobody is paged
at night); breaches do not. ``ConversationSla.watch_at`` says when a row next has something
to announce, so the watcher reads only rows that are due (on a partial index).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from sahayak.conversations.events import EventKind, record
from sahayak.conversations.models import OPEN_STATUSES

from . import sla
from .calendars import BusinessCalendar, NeverOpen, is_open, next_open
from .models import ConversationSla

BATCH = 500
WARNING, BREACH = "warning", "breach"


def pending(
    clocks: dict[str, dict[str, Any]], warn: timedelta, announced: list[str]
) -> list[tuple[datetime, str, str, datetime]]:
    """What is still to announce: (when, warning/breach, metric, due), soonest first."""
    todo = []
    for metric, clock in clocks.items():
        if clock["state"] != sla.RUNNING or not clock["due"]:
            continue
        due = datetime.fromisoformat(clock["due"])
        key = f"{metric}@{clock['due']}"
        if f"{WARNING}:{key}" not in announced and warn:
            todo.append((due - warn, WARNING, metric, due))
        if f"{BREACH}:{key}" not in announced:
            todo.append((due, BREACH, metric, due))
    return sorted(todo)


def still_current(clocks: dict[str, dict[str, Any]], announced: list[str]) -> list[str]:
    """Announcements of deadlines that still stand (the rest are forgotten)."""
    keys = {f"{m}@{c['due']}" for m, c in clocks.items() if c.get("due")}
    return [a for a in announced if a.split(":", 1)[1] in keys]


def plan(row: ConversationSla, warn: timedelta) -> None:
    """Set ``row.watch_at`` from its clocks and what was announced."""
    row.announced, row.watch_at = watch_at(row.clocks, warn, row.announced)


def watch_at(
    clocks: dict[str, dict[str, Any]], warn: timedelta, announced: list[str]
) -> tuple[list[str], datetime | None]:
    """The announcements that still stand, and when the next one is due."""
    announced = still_current(clocks, announced)
    todo = pending(clocks, warn, announced)
    return announced, todo[0][0] if todo else None


def watch(now: datetime | None = None, calendars: Any = None) -> dict[str, int]:
    """Announce due warnings and breaches; how many of each."""
    from .deadlines import Calendars

    now = now or timezone.now()
    counts = {WARNING: 0, BREACH: 0}
    rows = list(
        ConversationSla.objects.filter(watch_at__lte=now)
        .select_related("conversation", "policy")
        .order_by("watch_at")[:BATCH]
    )
    if not rows:
        return counts
    calendars = calendars or Calendars()
    for row in rows:
        conversation = row.conversation
        if conversation.status not in OPEN_STATUSES or row.policy is None:
            ConversationSla.objects.filter(pk=row.pk).update(watch_at=None)
            continue
        warn = timedelta(minutes=row.policy.warn_minutes)
        calendar = calendars.of_conversation(conversation.inbox_id, conversation.team_id)
        for kind in _announce_due(row, warn, calendar, now):
            counts[kind] += 1
    return counts


@transaction.atomic
def _announce_due(
    row: ConversationSla, warn: timedelta, calendar: BusinessCalendar | None, now: datetime
) -> list[str]:
    done = []
    later: datetime | None = None
    for when, kind, metric, due in pending(row.clocks, warn, row.announced):
        if when > now:
            later = when if later is None else min(later, when)
            break
        key = f"{metric}@{due.isoformat()}"
        if kind == WARNING and due <= now:
            row.announced.append(f"{WARNING}:{key}")  # too late to warn: the breach says it
            continue
        if kind == WARNING and calendar is not None and not is_open(calendar, now):
            try:
                opens = next_open(calendar, now)
            except NeverOpen:
                opens = due
            later = min(opens, due) if later is None else min(later, opens, due)
            continue
        row.announced.append(f"{kind}:{key}")
        record(
            EventKind.SLA_WARNING if kind == WARNING else EventKind.SLA_BREACHED,
            row.conversation,
            metric=metric,
            due=due.isoformat(),
            late_seconds=max(0, int((now - due).total_seconds())),
        )
        done.append(kind)
    rest = pending(row.clocks, warn, row.announced)
    upcoming = [when for when, *_ in rest if when > now]
    candidates = [t for t in (later, min(upcoming) if upcoming else None) if t is not None]
    row.watch_at = min(candidates) if candidates else None
    row.save(update_fields=["announced", "watch_at"])
    return done
