"""What the reports page and the reports API show: a scope read from query parameters,
the overview (headline figures with the previous period, chart series, heat map) and
the tables by dimension, with names for the ids.

The overview of a scope is kept in the cache for ``SAHAYAK_REPORTS_CACHE_SECONDS`` (facts
themselves follow the conversations a few seconds behind, so a page a few seconds old
says nothing less true); the figures of the period before, which has ended, for
``SAHAYAK_REPORTS_HISTORY_CACHE_SECONDS``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sahayak.accounts.models import Team, User
from sahayak.conversations import channels
from sahayak.conversations.models import Inbox, Tag

from . import parallel, reports, sql
from .periods import MAX_DAYS, Period, last_days

PRESETS = (7, 30, 90, 365)
BY = {
    "agent": gettext_lazy("Agent"),
    "team": gettext_lazy("Team"),
    "channel": gettext_lazy("Channel"),
    "inbox": gettext_lazy("Inbox"),
    "language": gettext_lazy("Language"),
    "tag": gettext_lazy("Tag"),
}


class ReportError(ValueError):
    """A filter that cannot be read (the message says which and why)."""


def _ints(values: list[str], what: str) -> tuple[int, ...]:
    try:
        return tuple(sorted({int(v) for v in values if v}))
    except ValueError as exc:
        raise ReportError(_("%(what)s must be a number.") % {"what": what}) from exc


def _date(value: str, what: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ReportError(_("%(what)s is not a date (YYYY-MM-DD).") % {"what": what}) from exc


def scope_from(params: Mapping[str, Any], zone: str) -> reports.Scope:
    """Read the period (``days``, or ``from`` and ``to``) and filters; a list parameter
    may repeat (``team=1&team=2``)."""

    def many(name: str) -> list[str]:
        getlist = getattr(params, "getlist", None)
        if getlist is not None:
            return [str(v) for v in getlist(name) if v not in (None, "")]
        value = params.get(name)
        if value in (None, ""):
            return []
        return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]

    first, last = params.get("from") or "", params.get("to") or ""
    if first or last:
        if not (first and last):
            raise ReportError(_("Give both the first and the last day."))
        period = Period(_date(first, _("The first day")), _date(last, _("The last day")), zone)
        if period.days < 1:
            raise ReportError(_("The last day is before the first."))
        if period.days > MAX_DAYS:
            raise ReportError(_("A report covers at most two years."))
    else:
        raw = params.get("days") or "30"
        try:
            days = int(raw)
        except (TypeError, ValueError) as exc:
            raise ReportError(_("The number of days must be a number.")) from exc
        if not 1 <= days <= MAX_DAYS:
            raise ReportError(_("A report covers 1 day to two years."))
        period = last_days(days, zone)
    return reports.Scope(
        period,
        teams=_ints(many("team"), _("Team")),
        channels=tuple(sorted(set(many("channel")))),
        inboxes=_ints(many("inbox"), _("Inbox")),
        languages=tuple(sorted(set(many("language")))),
    )


def _key(kind: str, scope: reports.Scope) -> str:
    raw = repr((kind, scope))
    return "reports:" + hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def _cached(kind: str, scope: reports.Scope, compute: Any, seconds: int | None = None) -> Any:
    seconds = settings.SAHAYAK_REPORTS_CACHE_SECONDS if seconds is None else seconds
    if seconds <= 0:
        return compute()
    key = _key(kind, scope)
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, seconds)
    return found


def headline(
    scope: reports.Scope, scans: reports.Scans | None = None, seconds: int | None = None
) -> dict[str, Any]:
    return _cached(
        "headline",
        scope,
        lambda: {**reports.counts(scope, scans), **reports.durations(scope, scans)},
        seconds,
    )


def overview(scope: reports.Scope, compare: bool = True) -> dict[str, Any]:
    """Everything on the overview: figures (and the previous period's), series, heat map."""

    scans = reports.Scans(scope)

    def compute() -> dict[str, Any]:
        # The slow queries first, side by side; the rest reads what they found.
        slow: dict[str, Any] = {
            "opened": lambda: scans.opened,
            "solved": lambda: scans.solved,
            "open_now": lambda: scans.open_now,
            "satisfaction": lambda: reports.satisfaction_series(scope),
        }
        if sql.is_postgres():
            slow["durations"] = lambda: scans.pg_durations
        found = parallel.run_all(slow)
        mix = reports.channel_mix(scope, scans)
        return {
            "labels": [d.isoformat() for d in reports.labels(scope.period)],
            "volume": reports.volume_series(scope, scans),
            "first_response": reports.median_series(scope, "first_response", scans=scans),
            "resolution": reports.median_series(scope, "resolution", scans=scans),
            "satisfaction": found["satisfaction"],
            "heat_map": reports.heat_map(scope, scans),
            "channels": sorted(mix.items(), key=lambda r: -r[1]),
        }

    result = dict(_cached("overview", scope, compute))
    result["figures"] = headline(scope, scans)
    # The period before has ended: its figures change only when old conversations do.
    history = settings.SAHAYAK_REPORTS_HISTORY_CACHE_SECONDS
    if compare:
        before = scope.previous()
        result["previous"] = headline(before, reports.Scans(before, series=False), history)
    else:
        result["previous"] = None
    return result


def table(scope: reports.Scope, by: str) -> list[dict[str, Any]]:
    """The rows of one table, named, largest first."""
    if by not in BY:
        raise ReportError(_("Unknown table: %(by)s") % {"by": by})
    rows = _cached(f"table:{by}", scope, lambda: reports.breakdown(scope, by))
    names = names_of(by, list(rows))
    out = [
        {"key": k, "name": names.get(k, str(k) if k not in (None, "") else _("None")), **v}
        for k, v in rows.items()
    ]
    out.sort(key=lambda r: (-(r.get("created") or 0), -(r.get("solved") or 0), str(r["name"])))
    return out


def names_of(by: str, ids: list[Any]) -> dict[Any, str]:
    """Display names for a dimension's keys: one query at most."""
    wanted = [i for i in ids if i not in (None, "")]
    if by == "agent":
        return {u.pk: str(u) for u in User.objects.filter(pk__in=wanted)}
    if by == "team":
        return dict(Team.objects.filter(pk__in=wanted).values_list("pk", "name"))
    if by == "inbox":
        return dict(Inbox.objects.filter(pk__in=wanted).values_list("pk", "name"))
    if by == "tag":
        return dict(Tag.objects.filter(pk__in=wanted).values_list("pk", "name"))
    if by == "channel":
        return {k: str(channels.label(k)) for k in wanted}
    if by == "language":
        from babel import Locale, UnknownLocaleError
        from django.utils.translation import get_language

        named: dict[Any, str] = {}
        for code in wanted:
            try:
                named[code] = str(
                    Locale.parse(code.replace("-", "_")).get_display_name(
                        (get_language() or "en").replace("-", "_")
                    )
                    or code
                )
            except (ValueError, UnknownLocaleError):
                named[code] = code
        return named
    return {}


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


def filter_choices() -> dict[str, list[Choice]]:
    """What the filter menus offer."""
    return {
        "team": [Choice(str(pk), name) for pk, name in Team.objects.values_list("pk", "name")],
        "inbox": [
            Choice(str(pk), name)
            for pk, name in Inbox.objects.order_by("name").values_list("pk", "name")
        ],
        "channel": [Choice(c.kind, str(c.label)) for c in channels.channels()],
        "language": [Choice(code, str(name)) for code, name in settings.LANGUAGES],
    }
