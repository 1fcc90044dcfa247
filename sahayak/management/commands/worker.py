"""``sahayak worker``: run background tasks (delivery, later routing, indexing...)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django_tasks_db.management.commands.db_worker import Worker

from sahayak.conversations import periodic

logger = logging.getLogger("sahayak.worker")


def prune_task_results() -> None:
    """Finished task records older than a week (the messages keep their own status)."""
    call_command("prune_db_task_results", queue_name="*", min_age_days=7, verbosity=0)


periodic.register("prune-task-results", prune_task_results, every_seconds=3600)


def sweep_forever(interval: float, stop: threading.Event) -> None:
    """Run the registered periodic jobs (see ``sahayak.conversations.periodic``)."""
    while not stop.wait(interval):
        try:
            close_old_connections()
            for name, result in periodic.run_due().items():
                if isinstance(result, int) and result:
                    logger.info("%s: %d", name, result)
        except Exception:
            logger.exception("worker sweep failed")
        finally:
            connection.close()


class Command(BaseCommand):
    help = "Run background workers: task queue plus the overdue-delivery sweeper."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=0.5, help="Queue poll interval (s)")
        parser.add_argument(
            "--sweep", type=float, default=5.0, help="How often periodic jobs are checked (s)"
        )
        parser.add_argument("--batch", action="store_true", help="Run what is queued, then exit")

    def handle(self, *args: Any, interval: float, sweep: float, batch: bool, **opts: Any) -> None:
        stop = threading.Event()
        if not batch:
            threading.Thread(target=sweep_forever, args=(sweep, stop), daemon=True).start()
        worker = Worker(
            queue_names=["*"],
            interval=interval,
            batch=batch,
            backend_name="default",
            startup_delay=not batch,
            max_tasks=None,
            worker_id=f"{socket.gethostname()}-{os.getpid()}-{int(time.time())}"[:64],
            excluded_queue_names=[],
        )
        self.stdout.write(f"Sahayak worker {worker.worker_id} started.")
        try:
            worker.configure_signals()
            worker.run()
        finally:
            stop.set()
