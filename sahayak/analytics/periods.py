"""Report periods in the viewer's time zone: local days, their UTC bounds, the period
before, and the moments a zone's UTC offset changes (for databases without time zones)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 731


@dataclass(frozen=True)
class Period:
    """Local days ``first``..``last`` (inclusive) in ``zone``."""

    first: date
    last: date
    zone: str = "UTC"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def start(self) -> datetime:
        """The UTC moment the first local day begins."""
        return local_midnight(self.first, self.tz)

    @property
    def end(self) -> datetime:
        """The UTC moment after the last local day ends (exclusive)."""
        return local_midnight(self.last + timedelta(days=1), self.tz)

    def previous(self) -> Period:
        """The same number of days just before."""
        return Period(
            self.first - timedelta(days=self.days), self.first - timedelta(days=1), self.zone
        )

    @property
    def step(self) -> int:
        """Days per chart point: a day up to three months, a week beyond."""
        return 1 if self.days <= 93 else 7


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant a local day begins (a midnight skipped by DST: the first moment)."""
    naive = datetime.combine(day, time(0))
    moment = naive.replace(tzinfo=zone)
    # A skipped midnight reads as the wall clock after the change; fold=0 is fine otherwise.
    return moment.astimezone(UTC)


def last_days(days: int, zone: str, today: date | None = None) -> Period:
    from django.utils import timezone

    today = today or timezone.now().astimezone(ZoneInfo(zone)).date()
    days = max(1, min(days, MAX_DAYS))
    return Period(today - timedelta(days=days - 1), today, zone)


def offset_segments(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """[(from, utc offset in seconds)] covering start..end: a new entry at each change."""
    step = timedelta(hours=1)
    at = start - timedelta(days=1)
    stop = end + timedelta(days=1)
    current = _offset(zone, at)
    segments = [(at, current)]
    while at < stop:
        nxt = at + step
        offset = _offset(zone, nxt)
        if offset != current:
            low, high = at, nxt  # the change is in (low, high]
            while high - low > timedelta(seconds=1):
                mid = low + (high - low) / 2
                if _offset(zone, mid) == current:
                    low = mid
                else:
                    high = mid
            segments.append((high.replace(microsecond=0), offset))
            current = offset
        at = nxt
    return segments


def _offset(zone: ZoneInfo, moment: datetime) -> int:
    delta = moment.astimezone(zone).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0
