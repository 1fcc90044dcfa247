"""Holidays from an iCalendar file (a government's or a calendar app's export).

All-day events become holidays: a yearly rule (``RRULE:FREQ=YEARLY``) becomes a yearly
holiday on its month and day, an event of several days (DTEND) one holiday per day, any
other event a one-off date. Events with a time of day are not holidays and are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils.translation import gettext as _
from icalendar import Calendar

MAX_SPAN_DAYS = 31  # a longer "holiday" is a mistake in the file, not a month off
MAX_BYTES = 2 * 1024 * 1024


class HolidayFileError(ValueError):
    """The file is not a usable iCalendar file (the message says why)."""


@dataclass
class Holidays:
    dates: set[date] = field(default_factory=set)
    yearly: set[tuple[int, int]] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)  # ISO date or MM-DD -> summary
    skipped: int = 0


def read_holidays(data: bytes) -> Holidays:
    if len(data) > MAX_BYTES:
        raise HolidayFileError(_("The file is larger than 2 MB."))
    try:
        calendar = Calendar.from_ical(data)
    except ValueError as exc:
        raise HolidayFileError(_("Not an iCalendar file: %(error)s") % {"error": exc}) from exc
    found = Holidays()
    for event in calendar.walk("VEVENT"):
        start = event.decoded("DTSTART", None)
        if not isinstance(start, date) or isinstance(start, datetime):
            found.skipped += 1  # a meeting, not a day off
            continue
        summary = str(event.get("SUMMARY", ""))[:200]
        rule = event.get("RRULE")
        if rule and [str(f).upper() for f in rule.get("FREQ", [])] == ["YEARLY"]:
            found.yearly.add((start.month, start.day))
            found.names[f"{start.month:02d}-{start.day:02d}"] = summary
            continue
        end = event.decoded("DTEND", None)
        days = (end - start).days if isinstance(end, date) and not isinstance(end, datetime) else 1
        for offset in range(max(1, min(days, MAX_SPAN_DAYS))):
            day = start + timedelta(days=offset)
            found.dates.add(day)
            found.names[day.isoformat()] = summary
    return found
