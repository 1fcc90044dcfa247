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

import threading
from bisect import bisect_left, bisect_right
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
    # The open intervals laid end to end (see ``_Ledger``), built on first use.
    _ledger: list[_Ledger] = field(default_factory=list, compare=False, repr=False)

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
    start = _aware(start)
    if not duration:
        return next_open(calendar, start)
    return from_epoch_us(add_us(calendar, epoch_us(start), duration // _ONE_US))


def business_time_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Open time from ``start`` to ``end`` (zero if ``end`` is not after ``start``)."""
    start, end = _aware(start), _aware(end)
    if end <= start:
        return timedelta(0)
    return timedelta(microseconds=between_us(calendar, epoch_us(start), epoch_us(end)))


def add_us(calendar: BusinessCalendar, start: int, amount: int) -> int:
    """``add_business_time`` on microseconds since the epoch (``amount`` > 0)."""
    ledger = _ledger_of(calendar, start)
    return start + amount if ledger.always else ledger.add(start, amount)


def between_us(calendar: BusinessCalendar, start: int, end: int) -> int:
    """``business_time_between`` on microseconds since the epoch."""
    if end <= start:
        return 0
    ledger = _ledger_of(calendar, start)
    return end - start if ledger.always else ledger.at(end) - ledger.at(start)


_SHARED: dict[tuple[object, ...], BusinessCalendar] = {}


def shared(calendar: BusinessCalendar) -> BusinessCalendar:
    """An equal calendar seen before, if any, with what it has computed (its ledger)."""
    key = (
        calendar.time_zone,
        tuple(sorted(calendar.weekly.items())),
        calendar.holidays,
        calendar.yearly_holidays,
    )
    found = _SHARED.get(key)
    if found is None:
        if len(_SHARED) >= 256:
            _SHARED.clear()
        found = _SHARED[key] = calendar
    return found


# --- the ledger: open time as a running total --------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_DAY_US = 86_400_000_000
_STEP_DAYS = 120  # how far the ledger is extended at a time
_MAX_INTERVALS = 100_000  # a ledger past this size starts again (memory bound)
_MARGIN_DAYS = 370  # a new ledger begins this long before the instant asked about


def epoch_us(moment: datetime) -> int:
    """An aware instant as microseconds since the epoch (what the ledger counts in)."""
    return (moment - _EPOCH) // _ONE_US


def from_epoch_us(value: int) -> datetime:
    """The UTC instant of ``epoch_us``."""
    return _EPOCH + timedelta(microseconds=value)


class _Ledger:
    """A calendar's open intervals from ``low`` on, with the open time before each.

    Recomputing a million conversations' deadlines asks the same calendar the same
    questions over and over; with the intervals as sorted integers (microseconds since
    the epoch) and running totals, open time between two instants and the instant after
    an amount of open time are two binary searches instead of a walk over days.
    Walking (``_intervals_from``) stays the one definition of the intervals.
    """

    def __init__(self, calendar: BusinessCalendar, low: int) -> None:
        self.calendar = calendar
        self.always = calendar.weekly == ALWAYS.weekly and not (
            calendar.holidays or calendar.yearly_holidays
        )
        self.low = low
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.before: list[int] = []  # open time before each interval
        self.through: list[int] = []  # open time up to each interval's end
        self.covered = low  # every interval starting before this is in the lists
        self.closed_for_good = False  # nothing opens within MAX_DAYS after ``covered``
        # Calendars are shared between threads. Only extending takes the lock: it appends
        # intervals after ``covered``, which no reader of an instant before it looks at.
        self.lock = threading.Lock()

    def _extend(self, until: int) -> None:
        if self.covered < until:
            with self.lock:
                self._extend_locked(until)

    def _extend_locked(self, until: int) -> None:
        """Add intervals until those starting before ``until`` are all in."""
        while self.covered < until and not self.closed_for_good:
            # One step at a time: a walk sees at most MAX_DAYS ahead.
            horizon = self.covered + _STEP_DAYS * _DAY_US
            last_end = self.ends[-1] if self.ends else self.low
            added = False
            for begin_at, finish_at in _intervals_from(self.calendar, from_epoch_us(last_end)):
                begin, finish = max(epoch_us(begin_at), last_end), epoch_us(finish_at)
                if begin >= horizon:
                    added = True  # the walk found more: coverage reaches the horizon
                    break
                total = self.through[-1] if self.through else 0
                self.starts.append(begin)
                self.ends.append(finish)
                self.before.append(total)
                self.through.append(total + finish - begin)
                last_end = finish
                added = True
            if not added:
                self.closed_for_good = True
                return
            self.covered = max(horizon, last_end)

    def at(self, moment: int) -> int:
        """Open time from ``low`` to ``moment`` (``moment`` >= ``low``)."""
        self._extend(moment + 1)
        i = bisect_right(self.starts, moment) - 1
        if i < 0:
            return 0
        return self.before[i] + min(moment - self.starts[i], self.ends[i] - self.starts[i])

    def add(self, start: int, amount: int) -> int:
        """The instant ``amount`` (> 0) of open time after ``start``."""
        wanted = self.at(start) + amount
        while not self.through or self.through[-1] < wanted:
            if self.closed_for_good:
                raise NeverOpen(self.calendar.time_zone)
            self._extend(self.covered + _STEP_DAYS * _DAY_US)
        j = bisect_left(self.through, wanted)
        return self.starts[j] + (wanted - self.before[j])


def _ledger_of(calendar: BusinessCalendar, start: int) -> _Ledger:
    """The calendar's ledger, begun early enough for instants from ``start`` on."""
    ledgers = calendar._ledger
    if ledgers and ledgers[0].low <= start and len(ledgers[0].starts) < _MAX_INTERVALS:
        return ledgers[0]
    low = start - _MARGIN_DAYS * _DAY_US
    if ledgers and len(ledgers[0].starts) < _MAX_INTERVALS:
        low = min(low, ledgers[0].low)
    ledgers[:] = [_Ledger(calendar, low)]
    return ledgers[0]
