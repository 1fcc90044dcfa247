"""The numbers on the reports pages, each as defined in ``docs/metrics.md``.

Every function takes a ``Scope`` (a period in the viewer's zone and filters) and reads the
fact tables (``models``) with one or a few aggregate queries: the rows of the period,
never the event log. Times are seconds; ``business`` selects the business-time columns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import cached_property
from typing import Any

from sahayak.feedback.models import Kind, Survey
from sahayak.knowledge.models import SelfService, SelfServiceEvent

from . import sql
from .models import Cycle, Response, SlaResult
from .periods import Period

CYCLES = Cycle._meta.db_table
RESPONSES = Response._meta.db_table
SLA = SlaResult._meta.db_table
SURVEYS = Survey._meta.db_table
TAGS = "conversations_conversation_tags"

# Dimensions a table can be grouped by: name -> column on the fact tables.
DIMENSIONS = {
    "agent": "agent_id",
    "team": "team_id",
    "channel": "channel",
    "language": "language",
    "inbox": "inbox_id",
    "tag": "tag_id",
}


@dataclass(frozen=True)
class Scope:
    period: Period
    teams: tuple[int, ...] = ()
    channels: tuple[str, ...] = ()
    inboxes: tuple[int, ...] = ()
    languages: tuple[str, ...] = ()

    def previous(self) -> Scope:
        return replace(self, period=self.period.previous())


@dataclass
class Where:
    """A WHERE clause over one fact table (alias ``f``) and its parameters."""

    parts: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, part: str, *params: Any) -> Where:
        self.parts.append(part)
        self.params.extend(params)
        return self

    def sql(self) -> str:
        return " AND ".join(self.parts) if self.parts else "1=1"


def _in(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def where(scope: Scope, time_col: str, *, period: Period | None = None) -> Where:
    period = period or scope.period
    w = Where().add(f"f.{time_col} >= %s", sql.param(period.start))
    w.add(f"f.{time_col} < %s", sql.param(period.end))
    return filtered(scope, w)


def filtered(scope: Scope, w: Where | None = None) -> Where:
    """The scope's filters (not its period) added to ``w``."""
    w = w if w is not None else Where()
    for column, values in (
        ("team_id", scope.teams),
        ("channel", scope.channels),
        ("inbox_id", scope.inboxes),
        ("language", scope.languages),
    ):
        if values:
            part, params = _in(f"f.{column}", values)
            w.add(part, *params)
    return w


# --- counts and rates ----------------------------------------------------------------------


class Scans:
    """The two scans most figures come from, each read once per page: cycles opened in
    the period (by chart point, local weekday and hour, channel, first or reopen) and
    cycles solved in it (by chart point, with sums)."""

    def __init__(self, scope: Scope, series: bool = True) -> None:
        self.scope = scope
        self.series = series  # False: headline figures only (no per-point medians)

    @cached_property
    def opened(self) -> list[tuple[int, int, int, str, int, int]]:
        local = sql.Local(self.scope.period)
        shifted, shift_params = local.local("f.opened_at")
        w = where(self.scope, "opened_at")
        inner = (
            f"SELECT {shifted} AS l, f.channel AS channel, f.number AS number "
            f"FROM {CYCLES} f WHERE {w.sql()}"
        )
        rows = sql.fetch(
            f"SELECT {local.bucket_of('x.l')} AS k, {local.weekday_of('x.l')} AS d, "
            f"{local.hour_of('x.l')} AS h, x.channel, "
            f"CASE WHEN x.number = 1 THEN 1 ELSE 0 END AS first, COUNT(*) "
            f"FROM ({inner}) x GROUP BY k, d, h, x.channel, first",
            [*shift_params, *w.params],
        )
        return [(int(k), int(d), int(h), c, int(first), int(n)) for k, d, h, c, first, n in rows]

    @cached_property
    def solved(self) -> list[tuple[int, ...]]:
        """(point, solved, later reopened, replies, with handle time, handle seconds,
        back within 7 days, back within 90 days)"""
        bucket, bucket_params = sql.Local(self.scope.period).bucket("f.solved_at")
        w = where(self.scope, "solved_at")
        rows = sql.fetch(
            f"SELECT {bucket} AS k, COUNT(*), "
            f"SUM(CASE WHEN f.reopened THEN 1 ELSE 0 END), SUM(f.replies), "
            f"SUM(CASE WHEN f.handle_s > 0 THEN 1 ELSE 0 END), SUM(f.handle_s), "
            f"SUM(CASE WHEN f.returned_s <= {7 * 86400} THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN f.returned_s <= {90 * 86400} THEN 1 ELSE 0 END) "
            f"FROM {CYCLES} f WHERE {w.sql()} GROUP BY k",
            [*bucket_params, *w.params],
        )
        return [tuple(int(v or 0) for v in row) for row in rows]

    @cached_property
    def open_now(self) -> int:
        """Cycles not solved now (in the scope's filters, whatever the period)."""
        w = filtered(self.scope, Where().add("f.solved_at IS NULL"))
        return int(sql.fetch(f"SELECT COUNT(*) FROM {CYCLES} f WHERE {w.sql()}", w.params)[0][0])

    @cached_property
    def pg_durations(self) -> tuple[dict[str, dict[str, Any]], dict[str, dict[int, Any]]]:
        return _durations_pg(self.scope, self.series)

    def solved_total(self, index: int) -> int:
        return sum(row[index] for row in self.solved)


def counts(scope: Scope, scans: Scans | None = None) -> dict[str, Any]:
    """The period's headline figures that are counts or rates (not durations)."""
    scans = scans or Scans(scope)
    created = sum(n for _k, _d, _h, _c, first, n in scans.opened if first)
    reopened = sum(n for _k, _d, _h, _c, first, n in scans.opened if not first)
    solved = scans.solved_total(1)
    return {
        "created": created,
        "reopened": reopened,
        "solved": solved,
        "replies_per_resolution": _ratio(scans.solved_total(3), solved),
        "reopen_rate": _ratio(scans.solved_total(2), solved),
        "handle_average": _ratio(scans.solved_total(5), scans.solved_total(4)),
        **satisfaction(scope),
        **sla_attainment(scope),
        **self_service(scope),
        **returns(scope, scans),
    }


def _ratio(part: Any, whole: Any) -> float | None:
    return float(part) / float(whole) if whole else None


def _answers(scope: Scope, kind: str) -> tuple[Where, str]:
    """The survey answers of a kind in the scope, and the SQL that counts them as
    (total, good, bad): CSAT good is 4-5; NPS promoters 9-10, detractors 0-6. NPS is
    asked of customers, not about a conversation: no team, inbox or channel filter."""
    if kind == Kind.NPS:
        scope = replace(scope, teams=(), inboxes=(), channels=())
    high, low = (4, 0) if kind == Kind.CSAT else (9, 6)
    counts = (
        f"COUNT(*), COALESCE(SUM(CASE WHEN f.score >= {high} THEN 1 ELSE 0 END), 0), "
        f"COALESCE(SUM(CASE WHEN f.score <= {low} THEN 1 ELSE 0 END), 0)"
    )
    return where(scope, "answered_at").add("f.kind = %s", kind), counts


def _score(kind: str, total: Any, good: Any, bad: Any) -> float | None:
    """CSAT as a share (0..1); NPS in points (-100..100)."""
    if not total:
        return None
    if kind == Kind.CSAT:
        return float(good) / float(total)
    return (float(good) - float(bad)) * 100 / float(total)


def satisfaction(scope: Scope) -> dict[str, Any]:
    """CSAT: share of 4 and 5 among ratings given in the period; NPS: promoters (9-10)
    minus detractors (0-6), in points."""
    result: dict[str, Any] = {}
    for kind in (Kind.CSAT, Kind.NPS):
        w, counts = _answers(scope, kind)
        total, good, bad = sql.fetch(f"SELECT {counts} FROM {SURVEYS} f WHERE {w.sql()}", w.params)[
            0
        ]
        result[kind.value] = _score(kind, total, good, bad)
        result[f"{kind.value}_answers"] = int(total)
    return result


def sla_attainment(scope: Scope) -> dict[str, Any]:
    w = where(scope, "stopped_at")
    rows = sql.fetch(
        f"SELECT f.metric, COUNT(*), COALESCE(SUM(CASE WHEN f.met THEN 1 ELSE 0 END), 0) "
        f"FROM {SLA} f WHERE {w.sql()} GROUP BY f.metric",
        w.params,
    )
    by_metric = {metric: _ratio(met, total) for metric, total, met in rows}
    total = sum(int(r[1]) for r in rows)
    met = sum(int(r[2]) for r in rows)
    return {"sla": _ratio(met, total), "sla_clocks": total, "sla_by_metric": by_metric}


def self_service(scope: Scope) -> dict[str, Any]:
    """Deflection: questions answered by an article without a ticket, of all who read a
    suggestion; bot resolution: conversations the bot solved, of all it answered."""
    period = scope.period
    found = SelfServiceEvent.counts(created_at__gte=period.start, created_at__lt=period.end)
    deflected = found.get(SelfService.DEFLECTED, 0)
    submitted = found.get(SelfService.SUBMITTED, 0)
    resolved = found.get(SelfService.BOT_RESOLVED, 0)
    handed = found.get(SelfService.BOT_HANDOVER, 0)
    return {
        "deflection": _ratio(deflected, deflected + submitted),
        "deflected": deflected,
        "bot_resolution": _ratio(resolved, resolved + handed),
        "bot_resolved": resolved,
    }


def returns(scope: Scope, scans: Scans | None = None) -> dict[str, Any]:
    """Of the cycles solved in the period: the share whose customer came back within 7
    days (a repeat contact: not resolved on first contact) and within 90 days (retention)."""
    scans = scans or Scans(scope)
    solved = scans.solved_total(1)
    repeat = _ratio(scans.solved_total(6), solved)
    return {
        "repeat_7d": repeat,
        "return_90d": _ratio(scans.solved_total(7), solved),
        "first_contact_resolution": None if repeat is None else 1 - repeat,
    }


# --- durations -----------------------------------------------------------------------------

# name -> (table, value column, time column, extra condition)
DURATIONS: dict[str, tuple[str, str, str, str]] = {
    "first_response": (RESPONSES, "wait_s", "responded_at", "f.is_first"),
    "next_response": (RESPONSES, "wait_s", "responded_at", "NOT f.is_first"),
    "resolution": (CYCLES, "resolution_s", "solved_at", "f.resolution_s IS NOT NULL"),
    "handle": (CYCLES, "handle_s", "solved_at", "f.handle_s > 0"),
}


def _duration(name: str, business: bool) -> tuple[str, str, str, str]:
    table, value, time_col, extra = DURATIONS[name]
    if business and value.endswith("_s") and name != "handle":
        value = value[:-2] + "_bs"
    return table, value, time_col, extra


def percentiles(
    scope: Scope, name: str, *, business: bool = False, by: str = ""
) -> dict[Any, dict[str, Any]]:
    """Median, p90 and count of a duration, for the whole scope (key None) or per ``by``
    ("bucket" for the chart points, or a dimension)."""
    table, value, time_col, extra = _duration(name, business)
    w = where(scope, time_col).add(extra)
    join = ""
    if by == "bucket":
        key, key_params = sql.Local(scope.period).bucket(f"f.{time_col}")
    elif by == "tag":
        key, key_params = "t.tag_id", []
        join = f"JOIN {TAGS} t ON t.conversation_id = f.conversation_id"
    elif by:
        key, key_params = f"f.{DIMENSIONS[by]}", []
    else:
        key, key_params = "NULL", []
    params = [*key_params, *w.params]
    if sql.is_postgres():
        rows = sql.fetch(
            f"SELECT {key} AS k, percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY "
            f"f.{value}), COUNT(*), AVG(f.{value}) FROM {table} f {join} WHERE {w.sql()} "
            f"GROUP BY k",
            params,
        )
        return {
            k: {"median": p[0], "p90": p[1], "count": int(n), "mean": float(mean)}
            for k, p, n, mean in rows
        }
    values: dict[Any, list[float]] = defaultdict(list)
    for k, v in sql.fetch(
        f"SELECT {key} AS k, f.{value} FROM {table} f {join} WHERE {w.sql()} ORDER BY k, f.{value}",
        params,
    ):
        values[k].append(float(v))
    return {
        k: {
            "median": sql.interpolate(vs, 0.5),
            "p90": sql.interpolate(vs, 0.9),
            "count": len(vs),
            "mean": sum(vs) / len(vs),
        }
        for k, vs in values.items()
    }


EMPTY = {"median": None, "p90": None, "count": 0, "mean": None}


def durations(scope: Scope, scans: Scans | None = None) -> dict[str, dict[str, Any]]:
    """Each duration over the scope, in calendar and business time."""
    if sql.is_postgres():
        return (scans or Scans(scope)).pg_durations[0]
    result = {}
    for name in DURATIONS:
        for business in (False, True) if name != "handle" else (False,):
            found = percentiles(scope, name, business=business).get(None)
            result[f"{name}_business" if business else name] = found or dict(EMPTY)
    return result


def _pct(value: str, condition: str = "") -> str:
    where = f" FILTER (WHERE {condition})" if condition else ""
    return (
        f"percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {value}){where}, "
        f"COUNT({value}){where}, AVG({value}){where}"
    )


def _figure(p: Any, n: Any, mean: Any) -> dict[str, Any]:
    if not n:
        return dict(EMPTY)
    return {"median": p[0], "p90": p[1], "count": int(n), "mean": float(mean)}


def _durations_pg(
    scope: Scope, by_point: bool = True
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[int, Any]]]:
    """Every duration over the scope and the medians per chart point, in two queries (one
    over responses, one over solved cycles) with grouping sets: (totals, series)."""
    totals: dict[str, dict[str, Any]] = {
        n: dict(EMPTY) for n in ("first_response", "next_response", "resolution", "handle")
    }
    totals.update(
        {f"{n}_business": dict(EMPTY) for n in ("first_response", "next_response", "resolution")}
    )
    series: dict[str, dict[int, Any]] = {"first_response": {}, "resolution": {}}
    local = sql.Local(scope.period)
    bucket, bucket_params = local.bucket("f.responded_at") if by_point else ("NULL", [])
    w = where(scope, "responded_at")
    for k, first, *row in sql.fetch(
        f"SELECT {bucket} AS k, f.is_first, {_pct('f.wait_s')}, {_pct('f.wait_bs')} "
        f"FROM {RESPONSES} f WHERE {w.sql()} GROUP BY GROUPING SETS ((f.is_first)"
        + (", (k, f.is_first))" if by_point else ")"),
        [*bucket_params, *w.params],
    ):
        name = "first_response" if first else "next_response"
        if k is None:
            totals[name] = _figure(*row[0:3])
            totals[f"{name}_business"] = _figure(*row[3:6])
        elif first:
            series[name][int(k)] = row[0][0]
    bucket, bucket_params = local.bucket("f.solved_at") if by_point else ("NULL", [])
    w = where(scope, "solved_at")
    for k, *row in sql.fetch(
        f"SELECT {bucket} AS k, {_pct('f.resolution_s')}, {_pct('f.resolution_bs')}, "
        f"{_pct('f.handle_s', 'f.handle_s > 0')} FROM {CYCLES} f WHERE {w.sql()} "
        f"GROUP BY GROUPING SETS (()" + (", (k))" if by_point else ")"),
        [*bucket_params, *w.params],
    ):
        if k is None:
            totals["resolution"] = _figure(*row[0:3])
            totals["resolution_business"] = _figure(*row[3:6])
            totals["handle"] = _figure(*row[6:9])
        elif row[1]:
            series["resolution"][int(k)] = row[0][0]
    return totals, series


# --- series and breakdowns -----------------------------------------------------------------


def _points(period: Period) -> int:
    return -(-period.days // period.step)


def labels(period: Period) -> list[Any]:
    """The first local day of each chart point."""
    return [period.first + timedelta(days=n * period.step) for n in range(_points(period))]


def volume_series(scope: Scope, scans: Scans | None = None) -> dict[str, list[float]]:
    """Per chart point: conversations opened, solved, and the backlog at its end."""
    scans = scans or Scans(scope)
    points = _points(scope.period)
    created, reopened, solved = [0.0] * points, [0.0] * points, [0.0] * points
    for k, _d, _h, _c, first, n in scans.opened:
        if 0 <= k < points:
            (created if first else reopened)[k] += n
    for row in scans.solved:
        if 0 <= row[0] < points:
            solved[row[0]] += row[1]
    start = backlog_at(scope, scans)
    backlog, open_now = [], start
    for c, r, s in zip(created, reopened, solved, strict=True):
        open_now += c + r - s
        backlog.append(open_now)
    return {"created": created, "solved": solved, "reopened": reopened, "backlog": backlog}


def backlog_at(scope: Scope, scans: Scans | None = None) -> float:
    """Cycles open when the period begins, counted back from those open now: open now,
    less those opened since the start, plus those solved since (each count over an
    index; the period's own openings and solves come from the scans)."""
    scans = scans or Scans(scope)
    open_now = scans.open_now
    opened = sum(n for *_rest, n in scans.opened)
    solved = scans.solved_total(1)
    for time_col, sign in (("opened_at", -1), ("solved_at", 1)):  # after the period
        w = filtered(scope, Where().add(f"f.{time_col} >= %s", sql.param(scope.period.end)))
        total = int(sql.fetch(f"SELECT COUNT(*) FROM {CYCLES} f WHERE {w.sql()}", w.params)[0][0])
        open_now += sign * total
    return float(open_now - opened + solved)


def median_series(
    scope: Scope, name: str, business: bool = False, scans: Scans | None = None
) -> list[float | None]:
    points = range(_points(scope.period))
    if sql.is_postgres() and not business and name in ("first_response", "resolution"):
        medians = (scans or Scans(scope)).pg_durations[1][name]
        return [medians.get(k) for k in points]
    found = percentiles(scope, name, business=business, by="bucket")
    return [(found[k]["median"] if k in found else None) for k in points]


def satisfaction_series(scope: Scope) -> dict[str, list[float | None]]:
    local = sql.Local(scope.period)
    key, key_params = local.bucket("f.answered_at")
    result: dict[str, list[float | None]] = {}
    for kind in (Kind.CSAT, Kind.NPS):
        w, counts = _answers(scope, kind)
        rows = sql.fetch(
            f"SELECT {key} AS k, {counts} FROM {SURVEYS} f WHERE {w.sql()} GROUP BY k",
            [*key_params, *w.params],
        )
        points: list[float | None] = [None] * _points(scope.period)
        scale = 100 if kind == Kind.CSAT else 1  # the chart shows CSAT in percent
        for k, total, good, bad in rows:
            value = _score(kind, total, good, bad)
            if k is not None and 0 <= int(k) < len(points) and value is not None:
                points[int(k)] = value * scale
        result[kind.value] = points
    return result


def heat_map(scope: Scope, scans: Scans | None = None) -> list[list[int]]:
    """Conversations opened per weekday (0 = Monday) and local hour."""
    scans = scans or Scans(scope)
    grid = [[0] * 24 for _ in range(7)]
    for _k, d, h, _c, first, n in scans.opened:
        if first:
            grid[d][h] += n
    return grid


def channel_mix(scope: Scope, scans: Scans | None = None) -> dict[str, int]:
    """Conversations opened in the period per channel."""
    mix: dict[str, int] = defaultdict(int)
    for _k, _d, _h, channel, first, n in (scans or Scans(scope)).opened:
        if first:
            mix[channel] += n
    return dict(mix)


def breakdown(scope: Scope, by: str) -> dict[Any, dict[str, Any]]:
    """One row per value of a dimension: opened, solved, medians, CSAT, SLA."""
    rows: dict[Any, dict[str, Any]] = defaultdict(dict)
    column = DIMENSIONS[by]
    join = f"JOIN {TAGS} t ON t.conversation_id = f.conversation_id" if by == "tag" else ""
    key = "t.tag_id" if by == "tag" else f"f.{column}"
    for name, time_col, extra in (
        ("created", "opened_at", "f.number = 1"),
        ("solved", "solved_at", ""),
    ):
        if by == "agent" and name == "created":
            continue  # nobody is the agent of a conversation when it opens
        w = where(scope, time_col)
        if extra:
            w.add(extra)
        for k, n in sql.fetch(
            f"SELECT {key} AS k, COUNT(*) FROM {CYCLES} f {join} WHERE {w.sql()} GROUP BY k",
            w.params,
        ):
            rows[k][name] = int(n)
    for name in ("first_response", "resolution"):
        for k, found in percentiles(scope, name, by=by).items():
            rows[k][f"{name}_median"] = found["median"]
            rows[k][f"{name}_p90"] = found["p90"]
    if by != "tag":
        w, counts = _answers(scope, Kind.CSAT)
        for k, total, good, bad in sql.fetch(
            f"SELECT f.{column} AS k, {counts} FROM {SURVEYS} f WHERE {w.sql()} GROUP BY k",
            w.params,
        ):
            rows[k]["csat"] = _score(Kind.CSAT, total, good, bad)
        w = where(scope, "stopped_at")
        for k, total, met in sql.fetch(
            f"SELECT f.{column} AS k, COUNT(*), SUM(CASE WHEN f.met THEN 1 ELSE 0 END) "
            f"FROM {SLA} f WHERE {w.sql()} GROUP BY k",
            w.params,
        ):
            rows[k]["sla"] = _ratio(met, total)
    return dict(rows)
