"""The worker's periodic jobs: each runs when due, a failing one neither stops the others
nor the worker, and apps register their own (delivery re-queueing is one)."""

from __future__ import annotations

from typing import Any

import pytest

from sahayak.conversations import periodic


@pytest.fixture
def registry(monkeypatch: Any) -> dict[str, periodic.Job]:
    jobs: dict[str, periodic.Job] = {}
    monkeypatch.setattr(periodic, "_jobs", jobs)
    return jobs


def test_jobs_run_when_due_and_a_failure_is_contained(registry: Any) -> None:
    calls: list[str] = []
    periodic.register("often", lambda: calls.append("often") or 1, every_seconds=10)
    periodic.register("rarely", lambda: calls.append("rarely"), every_seconds=100)

    def broken() -> None:
        raise RuntimeError("boom")

    periodic.register("broken", broken, every_seconds=10)
    first = periodic.run_due(now=1000.0)
    assert calls == ["often", "rarely"] and isinstance(first["broken"], RuntimeError)
    assert periodic.run_due(now=1005.0) == {}  # nothing due yet
    second = periodic.run_due(now=1011.0)
    assert set(second) == {"often", "broken"} and calls[-1] == "often"


def test_apps_register_their_jobs_at_start() -> None:
    from sahayak import companions  # noqa: F401 - registers pruning

    names = set(periodic._jobs)
    assert {"requeue-deliveries", "prune-task-results"} <= names
