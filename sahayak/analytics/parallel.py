"""Independent report queries side by side: on PostgreSQL each runs in its own thread (its
own connection, from the pool), so a page waits for the slowest query, not for their sum.

In order instead on SQLite (one writer, little to gain) and inside a transaction, whose
uncommitted rows other connections would not see.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.db import connection, connections

_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="reports")


def _alone(func: Callable[[], Any]) -> Any:
    try:
        return func()
    finally:
        connections.close_all()  # this thread's connections go back to the pool


def run_all(thunks: dict[str, Callable[[], Any]]) -> dict[str, Any]:
    if connection.vendor != "postgresql" or connection.in_atomic_block or len(thunks) < 2:
        return {name: func() for name, func in thunks.items()}
    futures = {name: _pool.submit(_alone, func) for name, func in thunks.items()}
    return {name: future.result() for name, future in futures.items()}
