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
from django.db import DatabaseError, InterfaceError, close_old_connections, connection
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from sahayak import heartbeat
from sahayak.conversations import periodic

logger = logging.getLogger("sahayak.worker")


def prune_task_results() -> None:
    """Finished task records older than a week (the messages keep their own status)."""
    call_command("prune_db_task_results", queue_name="*", min_age_days=7, verbosity=0)


periodic.register("prune-task-results", prune_task_results, every_seconds=3600)
periodic.register("forget-old-heartbeats", heartbeat.forget_old, every_seconds=3600)


def sweep_forever(interval: float, stop: threading.Event) -> None:
    """Run the registered periodic jobs (see ``sahayak.conversations.periodic``)."""
    while not stop.wait(interval):
        try:
            close_old_connections()
            heartbeat.beat("worker")
            for name, result in periodic.run_due().items():
                if isinstance(result, int) and result:
                    logger.info("%s: %d", name, result)
        except DatabaseError as exc:
            logger.warning("worker sweep: database unavailable (%s)", exc)
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
            run_through_outages(worker, batch=batch)
        finally:
            stop.set()


def release_claims(worker_id: str) -> int:
    """Tasks this worker claimed but could not finish when the database went away are
    made ready again (nobody else would run them: they look taken)."""
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).only("id", "worker_ids")
    mine = [task.pk for task in running if worker_id in (task.worker_ids or [])]
    if mine:
        DBTaskResult.objects.filter(pk__in=mine).update(
            status=TaskResultStatus.READY, started_at=None
        )
        logger.warning("worker: %d interrupted task(s) made ready again", len(mine))
    return len(mine)


def run_through_outages(worker: Worker, *, batch: bool) -> None:
    """Run the task loop; when the database goes away, wait with backoff (1 s doubling to
    30 s) and carry on: a worker never exits because of an outage. A task interrupted by
    one is picked up again by the delivery lease (see conversations.delivery)."""
    delay = 1.0
    interrupted = False
    while worker.running:
        try:
            if interrupted:
                release_claims(worker.worker_id)
                interrupted = False
            worker.run()
            return
        except (DatabaseError, InterfaceError) as exc:
            interrupted = True
            if batch:
                raise
            logger.warning("worker: database unavailable (%s); retrying in %.0f s", exc, delay)
            worker.running_task = False
            connection.close()
            time.sleep(delay)
            delay = min(delay * 2, 30.0)
