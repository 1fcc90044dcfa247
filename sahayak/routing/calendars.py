"""Business time: when a team is open, and what "within 4 business hours" means.

Pure functions over a ``BusinessCalendar`` (a time zone, weekly opening intervals, holidays);
nothing here reads the clock or the database, so the same inputs always give the same
deadlines (SLA clocks are replayed from event logs with these functions).

- Weekly intervals are local wall-clock times. An interval whose end is not after its
  start runs past midnight (a 21:00–02:00 shift opened on Monday closes on Tuesday 02:00).
- Each interval belongs to the day it starts on; a holiday closes the intervals that start
  on it (one-off dates, or yearly month/day).
- Durations are real elapsed time inside open intervals (computed in UTC): on the night
  clocks change, a 01:00–05:00 shift lasts three or five hours, as it does for the agent.
- A local time that does not exist (skipped by a DST change) is read as the wall clock
  after the change; an ambiguous one as its first occurrence.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 3 * 366  # a calendar open less than once in three years counts as never open


class NeverOpen(ValueError):
    """The calendar has no opening time within the search horizon."""


@dataclass(frozen=True)
class BusinessCalendar:
    time_zone: str = "UTC"
    # weekday (0 = Monday) -> ((start, end), ...) in local time
    weekly: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    yearly_holidays: frozenset[tuple[int, int]] = frozenset()  # (month, day)
    # Open intervals per local day, computed once: recomputing many conversations' clocks
    # walks the same days again and again. Not part of the calendar's identity.
    _days: dict[date, list[tuple[datetime, datetime]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_holiday(self, day: date) -> bool:
        return day in self.holidays or (day.month, day.day) in self.yearly_holidays


ALWAYS = BusinessCalendar(weekly={d: ((time(0), time(0)),) for d in range(7)})


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time (see the module notes on DST)."""
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first  # exists (its first occurrence if it comes twice)
    # Skipped by the clocks going forward: the moment of the jump, the first existing
    # wall-clock time after it. It lies between the two readings of the skipped time.
    low = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = first
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).replace(tzinfo=None) >= naive:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


CACHED_DAYS = 20_000


def intervals_of_day(calendar: BusinessCalendar, day: date) -> list[tuple[datetime, datetime]]:
    """Open intervals (UTC) that start on local ``day``, in order."""
    cached = calendar._days.get(day)
    if cached is None:
        if len(calendar._days) >= CACHED_DAYS:
            calendar._days.clear()
        cached = calendar._days[day] = _intervals_of_day(calendar, day)
    return cached


def _intervals_of_day(calendar: BusinessCalendar, day: date) -> list[tuple[datetime, datetime]]:
    if calendar.is_holiday(day):
        return []
    zone = calendar.zone
    found = []
    for start, end in calendar.weekly.get(day.weekday(), ()):
        end_day = day if end > start else day + timedelta(days=1)
        begin, finish = _local(day, start, zone), _local(end_day, end, zone)
        if finish > begin:
            found.append((begin, finish))
    return sorted(found)


def _intervals_from(
    calendar: BusinessCalendar, moment: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """Open intervals that end after ``moment``, in order (from the day before, for
    shifts running past midnight)."""
    day = moment.astimezone(calendar.zone).date() - timedelta(days=1)
    last: datetime | None = None  # end of the last interval given: overlaps give only what is new
    for offset in range(MAX_DAYS):
        for begin, finish in intervals_of_day(calendar, day + timedelta(days=offset)):
            if finish <= moment or (last is not None and finish <= last):
                continue
            if last is not None and begin < last:
                begin = last
            yield begin, finish
            last = finish


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("business time needs aware datetimes")
    return moment.astimezone(UTC)


def is_open(calendar: BusinessCalendar, moment: datetime) -> bool:
    moment = _aware(moment)
    first = next(_intervals_from(calendar, moment), None)
    return first is not None and first[0] <= moment


def next_open(calendar: BusinessCalendar, moment: datetime) -> datetime:
    """``moment`` if the calendar is open then, else when it opens next."""
    moment = _aware(moment)
    first = next(_intervals_from(calendar, moment), None)
    if first is None:
        raise NeverOpen(calendar.time_zone)
    return max(first[0], moment)


def add_business_time(calendar: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """The instant ``duration`` of open time after ``start`` (Friday 16:30 + 1 h on
    Mon–Fri 9–17 is Monday 9:30). A zero duration gives the next open moment."""
    if duration < timedelta(0):
        raise ValueError("a negative duration")
    cursor, remaining = _aware(start), duration
    for begin, finish in _intervals_from(calendar, cursor):
        cursor = max(cursor, begin)
        available = finish - cursor
        if remaining <= available:
            return cursor + remaining
        remaining -= available
        cursor = finish
    raise NeverOpen(calendar.time_zone)


def business_time_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Open time from ``start`` to ``end`` (zero if ``end`` is not after ``start``)."""
    start, end = _aware(start), _aware(end)
    total = timedelta(0)
    if end <= start:
        return total
    for begin, finish in _intervals_from(calendar, start):
        if begin >= end:
            break
        total += min(finish, end) - max(begin, start)
    return total
