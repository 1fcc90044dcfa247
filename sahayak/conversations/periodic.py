"""Periodic jobs of the background worker: each app registers its own from ``ready()``.

Time-based work (re-queueing lost deliveries, SLA timers, time rules, survey sends,
retention) registers here instead of being written into the worker. The worker's sweeper
calls ``run_due()`` every few seconds; a job that fails is logged and tried at its next turn.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    func: Callable[[], Any]
    every_seconds: float
    last_run: float | None = None


_jobs: dict[str, Job] = {}


def register(name: str, func: Callable[[], Any], *, every_seconds: float) -> None:
    """Run ``func`` every ``every_seconds`` in each worker (registering again replaces)."""
    _jobs[name] = Job(name, func, every_seconds)


def run_due(now: float | None = None) -> dict[str, Any]:
    """Run every job whose time has come; returns what each returned (or the exception)."""
    now = time.monotonic() if now is None else now
    results: dict[str, Any] = {}
    for job in list(_jobs.values()):
        if job.last_run is not None and now - job.last_run < job.every_seconds:
            continue
        job.last_run = now
        try:
            results[job.name] = job.func()
        except Exception as exc:
            logger.exception("periodic job %s failed", job.name)
            results[job.name] = exc
    return results
