"""Keyset (cursor) pagination: pages cost the same at row 10 and row 10 million."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet
from django.utils.dateparse import parse_datetime

M = TypeVar("M", bound=Model)


class BadCursor(ValueError):
    pass


def _encode(values: list[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def _decode(cursor: str, count: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError) as exc:
        raise BadCursor("malformed cursor") from exc
    if not isinstance(values, list) or len(values) != count:
        raise BadCursor("malformed cursor")
    return values


def _value(field: str, value: Any) -> Any:
    """A cursor value checked against its key: an id is an integer, a time an ISO string;
    anything else is a forged or damaged cursor (400, never a database error)."""
    if field.endswith(("_at", "_since", "_due")):
        try:
            parsed = parse_datetime(value) if isinstance(value, str) else None
        except ValueError:
            parsed = None
        if parsed is None:
            raise BadCursor("malformed cursor")
        return parsed
    if field == "id" or field.endswith("_id"):
        if not isinstance(value, int) or isinstance(value, bool):
            raise BadCursor("malformed cursor")
        return value
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise BadCursor("malformed cursor")
    return value


def _after(keys: Sequence[str], values: list[Any]) -> Q:
    """Rows strictly after ``values`` in the order given by ``keys`` (lexicographic)."""
    condition = Q()
    for index in reversed(range(len(keys))):
        field = keys[index].lstrip("-")
        op = "lt" if keys[index].startswith("-") else "gt"
        value = _value(field, values[index])
        step = Q(**{f"{field}__{op}": value})
        if index < len(keys) - 1:
            step |= Q(**{field: value}) & condition
        condition = step
    return condition


def keyset_page(
    queryset: QuerySet[M, Any], *, keys: Sequence[str], cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """One page ordered by ``keys`` (the last key must be unique, e.g. ``-id``)."""
    qs = queryset.order_by(*keys)
    if cursor:
        qs = qs.filter(_after(keys, _decode(cursor, len(keys))))
    rows = list(qs[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    if isinstance(last, dict):  # a .values() queryset
        return rows, _encode([last[key.lstrip("-")] for key in keys])
    return rows, _encode([getattr(last, key.lstrip("-")) for key in keys])
