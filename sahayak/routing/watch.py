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


Dues = dict[str, str]  # metric -> due time (ISO, UTC) of each running clock


def pending(
    dues: Dues, warn: timedelta, announced: list[str]
) -> list[tuple[datetime, str, str, datetime]]:
    """What is still to announce: (when, warning/breach, metric, due), soonest first."""
    todo = []
    for metric, when in dues.items():
        due = datetime.fromisoformat(when)
        key = f"{metric}@{when}"
        if f"{WARNING}:{key}" not in announced and warn:
            todo.append((due - warn, WARNING, metric, due))
        if f"{BREACH}:{key}" not in announced:
            todo.append((due, BREACH, metric, due))
    return sorted(todo)


def still_current(dues: Dues, announced: list[str]) -> list[str]:
    """Announcements of deadlines that still stand (the rest are forgotten)."""
    keys = {f"{m}@{d}" for m, d in dues.items()}
    return [a for a in announced if a.split(":", 1)[1] in keys]


def watch_at(
    dues: Dues, warn: timedelta, announced: list[str]
) -> tuple[list[str], datetime | None]:
    """The announcements that still stand, and when the next one is due."""
    if not announced:  # the common case, without building keys (ISO times in UTC sort)
        return [], datetime.fromisoformat(min(dues.values())) - warn if dues else None
    announced = still_current(dues, announced)
    todo = pending(dues, warn, announced)
    return announced, todo[0][0] if todo else None


def watch(now: datetime | None = None, calendars: Any = None) -> dict[str, int]:
    """Announce due warnings and breaches; how many of each."""
    from .deadlines import Calendars, recompute

    now = now or timezone.now()
    counts = {WARNING: 0, BREACH: 0}
    rows = list(
        ConversationSla.objects.filter(watch_at__lte=now)
        .select_related("conversation", "policy")
        .order_by("watch_at")[:BATCH]
    )
    if not rows:
        return counts
    calendars = calendars or Calendars.current()
    for row in rows:
        conversation = row.conversation
        if conversation.status not in OPEN_STATUSES or row.policy is None:
            ConversationSla.objects.filter(pk=row.pk).update(watch_at=None)
            continue
        if not row.plan:  # kept before plans were: computed in full, looked at next time
            recompute([row.pk])
            continue
        warn = timedelta(minutes=row.policy.warn_minutes)
        measured_on = calendars.for_policy(row.policy, conversation.inbox_id, conversation.team_id)
        dues = sla.running_dues(row.plan, measured_on)
        calendar = calendars.of_conversation(conversation.inbox_id, conversation.team_id)
        for kind in _announce_due(row, dues, warn, calendar, now):
            counts[kind] += 1
    return counts


@transaction.atomic
def _announce_due(
    row: ConversationSla,
    dues: Dues,
    warn: timedelta,
    calendar: BusinessCalendar | None,
    now: datetime,
) -> list[str]:
    """Announce what is due of one conversation's deadlines (``dues``); ``calendar``: its
    business hours, when warnings may be sent."""
    done = []
    later: datetime | None = None
    for when, kind, metric, due in pending(dues, warn, row.announced):
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
    rest = pending(dues, warn, row.announced)
    upcoming = [when for when, *_ in rest if when > now]
    candidates = [t for t in (later, min(upcoming) if upcoming else None) if t is not None]
    row.watch_at = min(candidates) if candidates else None
    row.save(update_fields=["announced", "watch_at"])
    return done
