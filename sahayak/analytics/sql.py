"""SQL for reports, for PostgreSQL and SQLite: local-time buckets and percentiles.

Local days and hours are integer arithmetic on epoch seconds shifted by the zone's offset
(``Local``). PostgreSQL computes percentiles (``percentile_cont``); for SQLite they are
computed here from the sorted values, the same way (linear interpolation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection

from .periods import Period, offset_segments


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def param(value: Any) -> Any:
    """A datetime as the database compares it."""
    from datetime import datetime

    if isinstance(value, datetime) and not is_postgres():
        return connection.ops.adapt_datetimefield_value(value)
    return value


DAY = 86400


@dataclass
class Local:
    """Local wall-clock arithmetic for a timestamp column in the period's zone.

    ``local`` is the column as seconds since the epoch in local time: the UTC epoch plus
    the zone's offset in the segment the moment falls in (``periods.offset_segments``: one
    segment unless the clocks change in the period). Days, hours and weekdays are integer
    arithmetic on it, the same on both databases and much cheaper than converting every
    row with the database's time zone functions.
    """

    period: Period

    def local(self, col: str) -> tuple[str, list[Any]]:
        epoch = (
            f"CAST(date_part('epoch', {col}) AS BIGINT)"
            if is_postgres()
            else f"CAST(strftime('%%s', {col}) AS INTEGER)"
        )
        segments = offset_segments(self.period.tz, self.period.start, self.period.end)
        if len(segments) == 1:
            return f"({epoch} + {segments[0][1]})", []
        parts, params = [], []
        for at, offset in reversed(segments[1:]):
            parts.append(f"WHEN {col} >= %s THEN {offset}")
            params.append(param(at))
        return f"({epoch} + CASE {' '.join(parts)} ELSE {segments[0][1]} END)", params

    def bucket_of(self, local: str) -> str:
        """Chart point index: local days (or weeks) since the period's first day."""
        first = (self.period.first - date(1970, 1, 1)).days
        return f"((({local}) / {DAY} - {first}) / {self.period.step})"

    def hour_of(self, local: str) -> str:
        return f"((({local}) %% {DAY}) / 3600)"

    def weekday_of(self, local: str) -> str:
        """0 = Monday (1 January 1970 was a Thursday)."""
        return f"((({local}) / {DAY} + 3) %% 7)"

    def bucket(self, col: str) -> tuple[str, list[Any]]:
        local, params = self.local(col)
        return self.bucket_of(local), params


def fetch(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(sql, list(params))
        return list(cur.fetchall())


def interpolate(values: Sequence[float], q: float) -> float | None:
    """``percentile_cont``: linear interpolation between the closest ranks."""
    if not values:
        return None
    pos = (len(values) - 1) * q
    low = int(pos)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (pos - low)
