"""SQLite backend that queues write transactions of one process on a real lock.

SQLite allows one writer. A process writes from several threads (the HTTP pool, the
worker and its sweeper), each with its own connection, and concurrent writers would
contend inside SQLite, whose busy handler sleeps in growing steps (1, 2, 5 ... 100 ms)
and turns a 5 ms wait into tail latencies of a second. Taking a process-wide lock before ``BEGIN IMMEDIATE`` makes waiters wake the
moment the writer commits; SQLite's own busy timeout still arbitrates between processes.
"""

from __future__ import annotations

import threading

from django.db import OperationalError
from django.db.backends.sqlite3 import base

WRITE_LOCK_TIMEOUT = 30.0


class DatabaseWrapper(base.DatabaseWrapper):
    _process_write_lock = threading.Lock()
    _holds_write_lock = False

    def _start_transaction_under_autocommit(self) -> None:
        if not self._holds_write_lock:
            if not self._process_write_lock.acquire(timeout=WRITE_LOCK_TIMEOUT):
                raise OperationalError("database is locked (write queue timed out)")
            self._holds_write_lock = True
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release_write_lock()
            raise

    def _release_write_lock(self) -> None:
        if self._holds_write_lock:
            self._holds_write_lock = False
            self._process_write_lock.release()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release_write_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_write_lock()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._release_write_lock()
