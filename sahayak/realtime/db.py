"""Database work of websocket consumers, on a pool of threads.

Channels runs ``database_sync_to_async`` code on one thread per process, so a thousand chat
visitors would queue behind each other's queries. Visitor operations are independent and
keep their order per socket (a consumer handles one event at a time), so they may run on
several threads, each with its own connection (SQLite writers still queue on the backend's
write lock; PostgreSQL takes them in parallel).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any, ParamSpec, TypeVar

from channels.db import DatabaseSyncToAsync
from django.conf import settings

P = ParamSpec("P")
R = TypeVar("R")


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(
        max_workers=settings.SAHAYAK_SOCKET_DB_THREADS, thread_name_prefix="socket-db"
    )


def in_db_pool(func: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
    """``func`` run on the pool, with Django's connection upkeep before and after."""
    return DatabaseSyncToAsync(func, thread_sensitive=False, executor=_pool())  # type: ignore[return-value]
