"""Liveness, readiness and what people see while the database is away.

``/healthz``: the process answers (for a supervisor deciding whether to restart it).
``/readyz``: the parts a request needs are there: the database, Redis when configured, a
worker that beat in the last minute, and how old the oldest waiting task is. 503 when any
required part is missing, so a load balancer sends traffic elsewhere.
"""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, connection
from django.db.utils import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils import timezone

from . import heartbeat

RETRY_AFTER = 30
# Tasks waiting longer than this mean the workers cannot keep up (or none runs).
QUEUE_AGE_LIMIT = 300


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True}
    except (DatabaseError, InterfaceError) as exc:
        return {"ok": False, "error": type(exc).__name__}


def _redis() -> dict[str, Any] | None:
    if not settings.REDIS_URL:
        return None
    try:
        cache.set("readyz-probe", 1, timeout=10)
        return {"ok": cache.get("readyz-probe") == 1}
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}


def _worker() -> dict[str, Any]:
    last = heartbeat.latest("worker")
    age = (timezone.now() - last).total_seconds() if last else None
    return {"ok": age is not None and age < heartbeat.STALE.total_seconds(), "last_beat_s": age}


def _queue() -> dict[str, Any]:
    from django_tasks_db.models import DBTaskResult

    oldest = (
        DBTaskResult.objects.ready()
        .order_by("enqueued_at")
        .values_list("enqueued_at", flat=True)
        .first()
    )
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return {"ok": age < QUEUE_AGE_LIMIT, "oldest_waiting_s": round(age, 1)}


def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, Any] = {"database": _database()}
    redis = _redis()
    if redis is not None:
        checks["redis"] = redis
    if checks["database"]["ok"]:
        try:
            checks["worker"] = _worker()
            checks["queue"] = _queue()
        except (DatabaseError, InterfaceError) as exc:
            checks["database"] = {"ok": False, "error": type(exc).__name__}
    ready = all(check["ok"] for check in checks.values())
    response = JsonResponse({"status": "ready" if ready else "unavailable", **checks})
    if not ready:
        response.status_code = 503
        response["Retry-After"] = str(RETRY_AFTER)
    return response


def database_down(exc: BaseException | None) -> bool:
    """The error means the database cannot be reached (not a bug in a query)."""
    return isinstance(exc, InterfaceError | OperationalError) and not _is_query_error(exc)


def _is_query_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    # SQLite's "database is locked" waits are their own matter; syntax errors are bugs.
    return "syntax error" in text or "no such" in text


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, or 503 with Retry-After while the database is unreachable."""
    exc = sys.exc_info()[1]
    if database_down(exc):
        body = loader.get_template("503.html").render()
        response = HttpResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    return HttpResponse(loader.get_template("500.html").render(), status=500)
