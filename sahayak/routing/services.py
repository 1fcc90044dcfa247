"""Actions of routing that the workspace and the API share: settings, SLA clocks."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from sahayak.conversations.models import Conversation

from . import assignment, deadlines
from .holidays import read_holidays
from .models import Calendar, ConversationSla, Holiday


def sla_of(conversation: Conversation) -> tuple[ConversationSla | None, dict[str, Any]]:
    """A conversation's stored SLA row and its clocks as shown (measured on its calendar)."""
    row = ConversationSla.objects.select_related("policy").filter(pk=conversation.pk).first()
    if row is None:
        return None, {}
    row.conversation = conversation
    return row, deadlines.clocks_of(row)


def queue_size() -> int:
    """Conversations waiting in the queue of every automatic policy."""
    by_inbox, by_team, manual = assignment.automatic_policies()
    if not by_inbox and not by_team:
        return 0
    return assignment.queued(
        inbox_ids=list(by_inbox), team_ids=list(by_team), manual_inboxes=manual | set(by_inbox)
    ).count()


def add_holiday(calendar: Calendar, day: date, *, yearly: bool, name: str = "") -> Holiday:
    holiday, _created = Holiday.objects.update_or_create(
        calendar=calendar, day=day, yearly=yearly, defaults={"name": name[:200]}
    )
    return holiday


@transaction.atomic
def import_holidays(calendar: Calendar, data: bytes) -> tuple[int, int]:
    """Holidays of an iCalendar file added to the calendar: (added, events skipped)."""
    found = read_holidays(data)
    existing = set(calendar.holidays.values_list("day", "yearly"))
    rows = [
        Holiday(
            calendar=calendar,
            day=day,
            yearly=False,
            name=found.names.get(day.isoformat(), "")[:200],
        )
        for day in sorted(found.dates)
        if (day, False) not in existing
    ]
    rows += [
        # A yearly holiday is stored on its day in a leap year, so 29 February fits.
        Holiday(
            calendar=calendar,
            day=date(2000, month, day),
            yearly=True,
            name=found.names.get(f"{month:02d}-{day:02d}", "")[:200],
        )
        for month, day in sorted(found.yearly)
        if (date(2000, month, day), True) not in existing
    ]
    Holiday.objects.bulk_create(rows, batch_size=500)
    if rows:
        calendar.save(update_fields=["updated_at"])  # recomputes open deadlines
    return len(rows), found.skipped
