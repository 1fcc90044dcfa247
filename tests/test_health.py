"""Liveness and readiness tell the truth, and an unreachable database gives 503 with
Retry-After (JSON for the API, a page for people), never a 500."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db.utils import OperationalError
from django.test import Client
from django.utils import timezone

from sahayak import heartbeat
from sahayak.models import Heartbeat

pytestmark = pytest.mark.django_db


def test_liveness_is_always_ok(client: Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_ready_needs_a_live_worker(client: Client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert response.json()["worker"]["ok"] is False
    heartbeat.beat("worker")
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["database"] == {"ok": True}
    Heartbeat.objects.update(beat_at=timezone.now() - timedelta(minutes=5))
    assert client.get("/readyz").status_code == 503


def test_ready_reports_an_old_queue(client: Client) -> None:
    from sahayak.conversations.delivery import deliver_message

    heartbeat.beat("worker")
    deliver_message.enqueue(12345)
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(minutes=10))
    body = client.get("/readyz").json()
    assert body["queue"]["ok"] is False and body["queue"]["oldest_waiting_s"] >= 600


def test_ready_reports_the_database(client: Client, monkeypatch: Any) -> None:
    from sahayak import health

    def down() -> dict[str, Any]:
        return {"ok": False, "error": "OperationalError"}

    monkeypatch.setattr(health, "_database", down)
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json()["database"]["ok"] is False


def _unreachable(*args: Any, **kwargs: Any) -> Any:
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def test_api_says_503_with_retry_after_while_the_database_is_down(
    api: Any, monkeypatch: Any
) -> None:
    from sahayak.api.routers import contacts

    monkeypatch.setattr(contacts, "keyset_page", _unreachable)
    response = api.get("/api/v1/contacts")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert response.json() == {"detail": "Temporarily unavailable; retry shortly."}


def test_pages_say_503_with_retry_after_while_the_database_is_down() -> None:
    """Django calls the 500 handler inside its ``except``: an unreachable database there
    becomes a 503 page asking to come back."""
    from django.test import RequestFactory

    from sahayak import health, urls

    assert urls.handler500 == "sahayak.health.server_error"
    request = RequestFactory().get("/help/")
    try:
        _unreachable()
    except OperationalError:
        response = health.server_error(request)
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "Back in a moment" in response.content.decode()
    try:
        raise OperationalError('syntax error at or near "SELEC"')
    except OperationalError:
        assert health.server_error(request).status_code == 500  # a bug stays a bug
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        assert health.server_error(request).status_code == 500
