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

from sahayak.conversations.delivery import requeue_due

logger = logging.getLogger("sahayak.worker")


PRUNE_EVERY = 3600.0


def sweep_forever(interval: float, stop: threading.Event) -> None:
    """Re-enqueue deliveries whose task was lost (e.g. a worker killed mid-send), and
    prune finished task records now and then (the messages keep their own status)."""
    last_prune = 0.0
    while not stop.wait(interval):
        try:
            close_old_connections()
            count = requeue_due()
            if count:
                logger.info("re-enqueued %d overdue deliveries", count)
            if time.monotonic() - last_prune > PRUNE_EVERY:
                call_command("prune_db_task_results", queue_name="*", min_age_days=7, verbosity=0)
                last_prune = time.monotonic()
        except Exception:
            logger.exception("worker sweep failed")
        finally:
            connection.close()


class Command(BaseCommand):
    help = "Run background workers: task queue plus the overdue-delivery sweeper."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--interval", type=float, default=0.5, help="Queue poll interval (s)")
        parser.add_argument("--sweep", type=float, default=30.0, help="Sweeper interval (s)")
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
