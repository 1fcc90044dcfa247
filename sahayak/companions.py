"""The web server's companions: task worker, SMTP listener, IMAP fetcher, Telegram poller.

Each companion is a function that runs until the ``stop`` event it is given is set. The same
functions back the stand-alone commands (``sahayak worker``, ``smtpd``, ``fetchmail``,
``telegram``) and ``sahayak serve``, which runs them either as threads of its own process
(the embedded default: one interpreter and one set of imports instead of five, and live
updates from the worker reach browsers without Redis) or as separate processes, to spread
work over cores and machines.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.core.management import call_command
from django.db import DatabaseError, InterfaceError, close_old_connections, connection
from django_tasks.base import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from sahayak import heartbeat
from sahayak.conversations import periodic

logger = logging.getLogger("sahayak.companions")

Companion = Callable[[threading.Event], None]


# --- task worker ---------------------------------------------------------------------------


def prune_task_results() -> None:
    """Finished task records older than a week (the messages keep their own status)."""
    call_command("prune_db_task_results", queue_name="*", min_age_days=7, verbosity=0)


periodic.register("prune-task-results", prune_task_results, every_seconds=3600)
periodic.register("forget-old-heartbeats", heartbeat.forget_old, every_seconds=3600)


class StoppableWorker(Worker):
    """django-tasks-db's worker loop, which also ends when ``stop`` is set (its own
    shutdown is by signal handlers, which only a process's main thread may install)."""

    def __init__(self, stop: threading.Event, **options: Any):
        self._stop = stop
        self._running = True
        super().__init__(**options)

    @property  # type: ignore[override]
    def running(self) -> bool:
        return self._running and not self._stop.is_set()

    @running.setter
    def running(self, value: bool) -> None:
        self._running = value


def make_worker(
    stop: threading.Event, *, interval: float = 0.5, batch: bool = False
) -> StoppableWorker:
    return StoppableWorker(
        stop,
        queue_names=["*"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=not batch,
        max_tasks=None,
        worker_id=(
            f"{socket.gethostname()}-{os.getpid()}-{threading.get_ident() % 10_000}"
            f"-{int(time.time())}"
        )[:64],
        excluded_queue_names=[],
    )


def task_worker(stop: threading.Event, *, interval: float = 0.5, sweep: float = 5.0) -> None:
    """The task queue and the periodic jobs until ``stop`` is set; the task being run
    when it is set is finished first."""
    worker = make_worker(stop, interval=interval)
    done = threading.Event()
    sweeper = threading.Thread(
        target=sweep_forever, args=(sweep, stop, done), name="worker-sweep", daemon=True
    )
    sweeper.start()
    try:
        run_through_outages(worker, batch=False)
    finally:
        done.set()  # the sweeper goes with the queue
        connection.close()


def sweep_forever(
    interval: float, stop: threading.Event, done: threading.Event | None = None
) -> None:
    """Run the registered periodic jobs (see ``sahayak.conversations.periodic``)."""
    while not stop.wait(interval) and not (done and done.is_set()):
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


# --- mail and polling ----------------------------------------------------------------------


def smtp_listener(host: str, port: int, ready: Callable[[], None] | None = None) -> Companion:
    def run(stop: threading.Event) -> None:
        from sahayak.connectors.email.smtp_server import make_controller

        controller = make_controller(host, port)
        controller.start()
        if ready:
            ready()
        try:
            stop.wait()
        finally:
            controller.stop()

    return run


def imap_fetcher(stop: threading.Event) -> None:
    from sahayak.connectors.email import imap

    imap.run(stop)


def telegram_poller(stop: threading.Event) -> None:
    from sahayak.connectors.telegram import polling

    polling.run(stop)


def wanted(
    *, worker: bool, smtp: tuple[str, int] | None, fetchmail: bool, telegram: bool
) -> dict[str, tuple[Companion, list[str]]]:
    """The companions ``serve`` runs: for each, the function and the same as a command."""
    found: dict[str, tuple[Companion, list[str]]] = {}
    if worker:
        found["worker"] = (task_worker, ["worker"])
    if smtp:
        host, port = smtp
        found["smtpd"] = (smtp_listener(host, port), ["smtpd", "--host", host, "--port", str(port)])
    if fetchmail:
        found["fetchmail"] = (imap_fetcher, ["fetchmail"])
    if telegram and apps.is_installed("sahayak.connectors.telegram"):
        found["telegram"] = (telegram_poller, ["telegram"])
    return found


# --- running them --------------------------------------------------------------------------


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT: how a stand-alone command ends its companion."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


def restart_delay(previous: float | None, lived: float, first: float = 1.0) -> float:
    """The wait before a companion (thread or process) that ended is started again:
    ``first`` after a long life (over a minute), else twice the last wait, to a minute."""
    if previous is None or lived > 60:
        return first
    return min(previous * 2, 60.0)


class ThreadSupervisor:
    """Runs companions as threads of this process. One that fails (or returns while it
    should run) is started again after a wait that doubles, to a minute, while it keeps
    failing young: the same rule as for companion processes."""

    def __init__(self, companions: dict[str, Companion], *, first_delay: float = 1.0):
        self.companions = companions
        self.first_delay = first_delay
        self.stop = threading.Event()
        self.threads: dict[str, threading.Thread] = {}
        self.restarts = 0

    def start(self) -> None:
        for name, run in self.companions.items():
            thread = threading.Thread(
                target=self._keep_running, args=(name, run), name=f"companion-{name}", daemon=True
            )
            thread.start()
            self.threads[name] = thread

    def _keep_running(self, name: str, run: Companion) -> None:
        delay: float | None = None
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                run(self.stop)
                failure = "returned"
            except Exception as exc:
                logger.exception("%s failed", name)
                failure = f"failed ({exc.__class__.__name__})"
            finally:
                close_old_connections()
            if self.stop.is_set():
                return
            delay = restart_delay(delay, time.monotonic() - started, self.first_delay)
            logger.warning("%s %s; starting it again in %.0f s", name, failure, delay)
            if self.stop.wait(delay):
                return
            self.restarts += 1

    def shutdown(self, timeout: float = 10.0) -> None:
        """Tell every companion to stop; wait for them (a task in progress is finished)."""
        self.stop.set()
        deadline = time.monotonic() + timeout
        for thread in self.threads.values():
            thread.join(max(0.0, deadline - time.monotonic()))
