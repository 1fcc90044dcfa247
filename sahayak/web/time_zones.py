"""Time zones as the picker suggests them: the zone id with its city in the viewer's
language and its offset today, so "कोलकाता", "Kolkata" and "+05:30" all find Asia/Kolkata."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from functools import cache

from babel.core import UnknownLocaleError
from babel.dates import get_timezone_location

from .forms import time_zone_ids


def _offset(zone: str, now: datetime) -> str:
    delta = now.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset()
    minutes = int(delta.total_seconds() // 60) if delta is not None else 0
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


@cache
def _options(locale: str, day: str) -> list[tuple[str, str]]:
    """(zone, label) pairs, cached per language and day (offsets move with DST)."""
    now = datetime.now(UTC)
    rows = []
    for zone in sorted(time_zone_ids()):
        try:
            city = get_timezone_location(zone, locale=locale, return_city=True)
        except (LookupError, UnknownLocaleError, ValueError):
            city = zone.rsplit("/", 1)[-1].replace("_", " ")
        rows.append((zone, f"{city} · {_offset(zone, now)}"))
    return rows


def options(locale: str) -> list[tuple[str, str]]:
    return _options(locale.replace("-", "_"), datetime.now(UTC).date().isoformat())
