"""Rows a burst inserts together just before its commit, instead of one INSERT each.

A burst of inbound messages writes, per message, the message row, the references it made and
the events of its conversation. Inside one transaction nobody else can see those rows before
the commit anyway, so a burst collects them here and inserts each table's rows with one
statement at the end (``flush``). The objects get their primary keys from that statement
(``RETURNING``), in the order they were collected, so ids keep arrival order as one-by-one
inserts would.

Whatever needs a row's key earlier — a file attached to the message, a duplicate read back
from the database, an event that names the message — flushes first. ``record()`` finds the
active collector through ``current()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import models

# Rows larger than this many per statement are split (bound-parameter limits).
BATCH_SIZE = 500


class PendingRows:
    """Unsaved model instances, inserted per model in the order first collected, except
    that models another collected model points at go first (messages before the
    references to them)."""

    def __init__(self) -> None:
        self._rows: dict[type[models.Model], list[models.Model]] = {}

    def add(self, row: models.Model) -> None:
        self._rows.setdefault(type(row), []).append(row)

    def flush(self) -> None:
        for model in self._order():
            rows = self._rows.pop(model)
            model._default_manager.bulk_create(rows, batch_size=BATCH_SIZE)

    def _order(self) -> list[type[models.Model]]:
        order = list(self._rows)
        for model in list(order):
            for field in model._meta.concrete_fields:
                target = field.related_model
                if target in order and order.index(target) > order.index(model):
                    order.remove(target)
                    order.insert(order.index(model), target)
        return order

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._rows.values())


_current: ContextVar[PendingRows | None] = ContextVar("pending_rows", default=None)


@contextmanager
def collecting(rows: PendingRows) -> Iterator[PendingRows]:
    """Rows that may wait (events) go to ``rows`` inside this block; the caller flushes
    them before its transaction commits."""
    token = _current.set(rows)
    try:
        yield rows
    finally:
        _current.reset(token)


def current() -> PendingRows | None:
    return _current.get()
