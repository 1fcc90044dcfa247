"""The companions as threads of one process (``serve``'s embedded default)."""

from __future__ import annotations

import threading
import time

import pytest

from sahayak import companions
from sahayak.companions import ThreadSupervisor


def test_a_failing_companion_is_started_again_and_the_others_keep_running(monkeypatch, caplog):
    monkeypatch.setattr(companions, "close_old_connections", lambda: None)
    runs: list[str] = []
    steady_started = threading.Event()

    def flaky(stop: threading.Event) -> None:
        runs.append("flaky")
        if len(runs) < 3:
            raise RuntimeError("lost the mailbox")
        stop.wait()

    def steady(stop: threading.Event) -> None:
        steady_started.set()
        stop.wait()

    supervisor = ThreadSupervisor({"flaky": flaky, "steady": steady}, first_delay=0.01)
    supervisor.start()
    deadline = time.perf_counter() + 10
    while len(runs) < 3 and time.perf_counter() < deadline:
        time.sleep(0.01)
    assert runs == ["flaky", "flaky", "flaky"]
    assert steady_started.is_set() and supervisor.threads["steady"].is_alive()
    assert supervisor.restarts == 2
    assert "flaky failed (RuntimeError); starting it again" in caplog.text
    supervisor.stop.set()
    supervisor.shutdown(timeout=5)
    assert not any(thread.is_alive() for thread in supervisor.threads.values())


def test_shutdown_waits_for_the_work_in_hand():
    finished = threading.Event()

    def busy(stop: threading.Event) -> None:
        stop.wait()
        time.sleep(0.2)  # a task being finished
        finished.set()

    supervisor = ThreadSupervisor({"busy": busy})
    supervisor.start()
    supervisor.shutdown(timeout=5)
    assert finished.is_set()


@pytest.mark.django_db(transaction=True)
def test_the_worker_thread_runs_queued_tasks_and_stops_when_told():
    """The task worker as a thread: it runs what is queued and returns once ``stop`` is
    set, without signal handlers (only a main thread may install them)."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from sahayak.routing.tasks import recompute_open_deadlines

    recompute_open_deadlines.enqueue(0, True, None)
    queued = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert queued.count() == 1
    stop = threading.Event()
    thread = threading.Thread(
        target=companions.task_worker, args=(stop,), kwargs={"interval": 0.05}
    )
    thread.start()
    try:
        deadline = time.perf_counter() + 20
        task = DBTaskResult.objects.get()
        while task.status != TaskResultStatus.SUCCESSFUL and time.perf_counter() < deadline:
            time.sleep(0.05)
            task.refresh_from_db()
        assert task.status == TaskResultStatus.SUCCESSFUL
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
