"""Formatting of report figures in the viewer's language (Babel): durations, shares,
numbers, and the change from the previous period."""

from __future__ import annotations

from typing import Any

from babel.numbers import format_decimal, format_percent
from babel.units import format_unit
from django import template
from django.utils.translation import get_language, to_locale

register = template.Library()


def _locale() -> str:
    return to_locale(get_language() or "en")


@register.filter
def duration(seconds: Any) -> str:
    """ "2 hr 5 min" in the viewer's language; "—" when there is nothing to measure."""
    if seconds is None or seconds == "":
        return "—"
    total = int(round(float(seconds)))
    locale = _locale()
    if total < 60:
        return format_unit(total, "duration-second", "short", locale=locale)
    minutes = total // 60
    if minutes < 60:
        return format_unit(minutes, "duration-minute", "short", locale=locale)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        parts = [format_unit(hours, "duration-hour", "short", locale=locale)]
        if minutes:
            parts.append(format_unit(minutes, "duration-minute", "short", locale=locale))
        return " ".join(parts)
    days, hours = divmod(hours, 24)
    parts = [format_unit(days, "duration-day", "short", locale=locale)]
    if hours:
        parts.append(format_unit(hours, "duration-hour", "short", locale=locale))
    return " ".join(parts)


@register.filter
def share(value: Any) -> str:
    """A ratio (0..1) as a percentage."""
    if value is None or value == "":
        return "—"
    return format_percent(float(value), "#,##0.#%", locale=_locale())


@register.filter
def number(value: Any, digits: int = 0) -> str:
    if value is None or value == "":
        return "—"
    pattern = "#,##0" + ("." + "#" * int(digits) if digits else "")
    return format_decimal(float(value), pattern, locale=_locale())


@register.filter
def change(current: Any, previous: Any) -> str:
    """The relative change from the previous period ("+12%"), or "" when not comparable."""
    if current is None or previous in (None, 0):
        return ""
    delta = (float(current) - float(previous)) / float(previous)
    sign = "+" if delta > 0 else ""
    return sign + format_percent(delta, "#,##0%", locale=_locale())


@register.filter
def get(mapping: Any, key: Any) -> Any:
    return mapping.get(key) if hasattr(mapping, "get") else None
