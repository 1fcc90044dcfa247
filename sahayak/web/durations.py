"""Spans of time in words, in the viewer's language: "3 weeks, 6 days", "३ सप्ताह और ६ दिन".

Babel (CLDR) names the units and joins the list the way each language does; where CLDR has
no long name for a unit in a language, its short name is used.
"""

from __future__ import annotations

from functools import lru_cache

from babel.core import UnknownLocaleError
from babel.lists import format_list
from babel.units import format_unit
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext as _

UNITS = (
    ("duration-year", 365 * 86400),
    ("duration-month", 30 * 86400),
    ("duration-week", 7 * 86400),
    ("duration-day", 86400),
    ("duration-hour", 3600),
    ("duration-minute", 60),
)


@lru_cache(maxsize=4096)
def _unit(value: int, unit: str, locale: str) -> str:
    text = format_unit(value, unit, length="long", locale=locale)
    if unit in text:  # no long name in this language's data
        text = format_unit(value, unit, length="short", locale=locale)
    return str(text)


def duration(seconds: float, parts: int = 2, locale: str | None = None) -> str:
    """``seconds`` as its ``parts`` largest whole units ("2 hours, 5 minutes")."""
    locale = locale or to_locale(get_language() or "en")
    left = int(abs(seconds))
    if left < 60:
        return _("less than a minute")
    pieces: list[tuple[int, str]] = []
    first = None
    for level, (unit, size) in enumerate(UNITS):
        if first is not None and level - first > 2:
            break  # "1 month, 1 day", never "1 month, 3 minutes"
        count, left = divmod(left, size)
        if count:
            pieces.append((count, unit))
            first = level if first is None else first
        if len(pieces) == parts:
            break
    return _joined(tuple(pieces), locale)


@lru_cache(maxsize=4096)
def _joined(pieces: tuple[tuple[int, str], ...], locale: str) -> str:
    """The pieces named and joined (cached: an inbox page asks for the same spans often)."""
    try:
        names = [_unit(n, u, locale) for n, u in pieces]
        return str(format_list(names, style="unit", locale=locale))
    except (UnknownLocaleError, ValueError):
        names = [_unit(n, u, "en") for n, u in pieces]
        return str(format_list(names, style="unit", locale="en"))
