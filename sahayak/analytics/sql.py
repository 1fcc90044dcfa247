"""SQL for reports, for PostgreSQL and SQLite: local-time buckets and percentiles.

PostgreSQL converts to the viewer's zone itself (``AT TIME ZONE``) and computes
percentiles (``percentile_cont``). SQLite knows no zones: a timestamp is shifted by the
offset of the segment it falls in (``periods.offset_segments``), and percentiles are
computed here from the sorted values, the same way (linear interpolation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
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


@dataclass
class Local:
    """Expressions for a timestamp column in the period's zone."""

    period: Period
    params: list[Any] = field(default_factory=list)

    def _shifted(self, col: str) -> tuple[str, list[Any]]:
        if is_postgres():
            return f"({col} AT TIME ZONE %s)", [self.period.zone]
        segments = offset_segments(self.period.tz, self.period.start, self.period.end)
        if len(segments) == 1:
            return f"datetime({col}, '{segments[0][1]:+d} seconds')", []
        parts, params = [], []
        for at, offset in reversed(segments[1:]):
            parts.append(f"WHEN {col} >= %s THEN datetime({col}, '{offset:+d} seconds')")
            params.append(param(at))
        sql = f"(CASE {' '.join(parts)} ELSE datetime({col}, '{segments[0][1]:+d} seconds') END)"
        return sql, params

    def bucket(self, col: str) -> tuple[str, list[Any]]:
        """Chart point index: local days (or weeks) since the period's first day."""
        shifted, params = self._shifted(col)
        step = self.period.step
        if is_postgres():
            sql = f"((({shifted})::date - %s::date) / {step})"
        else:
            sql = f"(CAST(julianday(date({shifted})) - julianday(%s) AS INTEGER) / {step})"
        return sql, [*params, self.period.first.isoformat()]

    def hour(self, col: str) -> tuple[str, list[Any]]:
        shifted, params = self._shifted(col)
        if is_postgres():
            return f"CAST(extract(hour from {shifted}) AS INTEGER)", params
        return f"CAST(strftime('%%H', {shifted}) AS INTEGER)", params

    def weekday(self, col: str) -> tuple[str, list[Any]]:
        """0 = Monday."""
        shifted, params = self._shifted(col)
        if is_postgres():
            return f"(CAST(extract(isodow from {shifted}) AS INTEGER) - 1)", params
        return f"((CAST(strftime('%%w', {shifted}) AS INTEGER) + 6) %% 7)", params


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
