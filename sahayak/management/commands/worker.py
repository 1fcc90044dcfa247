"""``sahayak worker``: run background tasks (delivery, later routing, indexing...)."""

from __future__ import annotations

import threading
from typing import Any

from django.core.management.base import BaseCommand

from sahayak.companions import make_worker, run_through_outages, stop_on_signals, task_worker


class Command(BaseCommand):
    help = "Run background workers: task queue plus the overdue-delivery sweeper."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=0.5, help="Queue poll interval (s)")
        parser.add_argument(
            "--sweep", type=float, default=5.0, help="How often periodic jobs are checked (s)"
        )
        parser.add_argument("--batch", action="store_true", help="Run what is queued, then exit")

    def handle(self, *args: Any, interval: float, sweep: float, batch: bool, **opts: Any) -> None:
        if batch:
            worker = make_worker(threading.Event(), interval=interval, batch=True)
            run_through_outages(worker, batch=True)
            return
        stop = stop_on_signals()
        self.stdout.write("Sahayak worker started.")
        task_worker(stop, interval=interval, sweep=sweep)
