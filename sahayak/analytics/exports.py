"""Exports: each report table as CSV or XLSX, one row per conversation cycle with all its
figures (streamed in keyset batches: a million rows in flat memory), and the event log
as JSON Lines resumable by cursor, for a warehouse."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _

from sahayak.conversations.models import Event, Message

from . import sql
from .reports import CYCLES, Scope, where

BATCH = 10_000


def _table_columns() -> list[tuple[str, str]]:
    return [
        ("name", _("Name")),
        ("created", _("Opened")),
        ("solved", _("Solved")),
        ("first_response_median", _("First response, median (s)")),
        ("first_response_p90", _("First response, p90 (s)")),
        ("resolution_median", _("Resolution, median (s)")),
        ("resolution_p90", _("Resolution, p90 (s)")),
        ("csat", _("CSAT (share of 4 and 5)")),
        ("sla", _("SLA targets met (share)")),
    ]


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 4)
    return value


def table_response(rows: Sequence[dict[str, Any]], by: str, fmt: str, scope: Scope) -> HttpResponse:
    columns = _table_columns()
    name = f"report-{by}-{scope.period.first}-{scope.period.last}"
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(title=by[:31])
        sheet.append([label for _k, label in columns])
        for row in rows:
            sheet.append([_cell(row.get(k)) for k, _l in columns])
        buffer = io.BytesIO()
        book.save(buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
        return response
    if fmt != "csv":
        return HttpResponse(_("Unknown format."), status=404, content_type="text/plain")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([label for _k, label in columns])
    for row in rows:
        writer.writerow([_cell(row.get(k)) for k, _l in columns])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


CONVERSATION_COLUMNS = (
    "id",
    "conversation_id",
    "number",
    "opened_at",
    "channel",
    "inbox_id",
    "team_id",
    "agent_id",
    "language",
    "contact_id",
    "first_response_at",
    "first_response_s",
    "first_response_bs",
    "solved_at",
    "resolution_s",
    "resolution_bs",
    "replies",
    "handle_s",
    "reopened",
    "csat",
)
HEADER = [c if c != "number" else "cycle" for c in CONVERSATION_COLUMNS if c != "id"]


def _iso(value: Any) -> Any:
    """Timestamps as ISO 8601 in UTC whatever the database returns."""
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, str) and len(value) >= 19 and value[10] == " ":
        return value.replace(" ", "T", 1) + "+00:00"
    return value


TIMES = ("opened_at", "first_response_at", "solved_at")


def _utc_text(col: str) -> str:
    """A timestamp column as ISO 8601 text made by the database (no parsing per row)."""
    if sql.is_postgres():
        return f"to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    return f"strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', {col})"


def _column(name: str) -> str:
    if name in TIMES:
        return _utc_text(f"f.{name}")
    if name == "reopened":  # 0/1 on every database
        return "CASE WHEN f.reopened THEN 1 ELSE 0 END"
    return f"f.{name}"


def conversation_rows(scope: Scope, batch: int = BATCH) -> Iterator[list[tuple[Any, ...]]]:
    """Batches of cycle rows opened in the scope, in (opened_at, id) order; each row is
    the keyset (opened_at, id) followed by ``HEADER``'s columns."""
    columns = ", ".join(_column(c) for c in CONVERSATION_COLUMNS if c != "id")
    after: tuple[Any, int] | None = None
    while True:
        w = where(scope, "opened_at")
        if after is not None:  # a row comparison: the (opened_at, id) index seeks to it
            w.add("(f.opened_at, f.id) > (%s, %s)", after[0], after[1])
        rows = sql.fetch(
            f"SELECT f.opened_at, f.id, {columns} FROM {CYCLES} f WHERE {w.sql()} "
            f"ORDER BY f.opened_at, f.id LIMIT {int(batch)}",
            w.params,
        )
        if not rows:
            return
        yield rows
        after = (rows[-1][0], rows[-1][1])
        if len(rows) < batch:
            return


def conversation_rows_csv(scope: Scope, batch: int = BATCH) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    yield out.getvalue()
    for rows in conversation_rows(scope, batch):
        out.seek(0)
        out.truncate()
        writer.writerows(row[2:] for row in rows)
        yield out.getvalue()


# --- the event log --------------------------------------------------------------------------

LOG_LIMIT = 100_000


def event_log(after: int, limit: int) -> Iterator[str]:
    """Event rows after the id ``after``, one JSON object per line, oldest first; the next
    call passes the ``id`` of the last line."""
    limit = max(1, min(limit, LOG_LIMIT))
    sent = 0
    while sent < limit:
        rows = list(
            Event.objects.filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", "conversation_id", "kind", "actor_id", "data", "created_at")[
                : min(BATCH, limit - sent)
            ]
        )
        if not rows:
            return
        yield "".join(
            json.dumps(
                {
                    "id": pk,
                    "conversation_id": cid,
                    "kind": kind,
                    "actor_id": actor,
                    "data": data,
                    "created_at": created.isoformat(),
                },
                ensure_ascii=False,
                default=str,
            )
            + "\n"
            for pk, cid, kind, actor, data, created in rows
        )
        sent += len(rows)
        after = rows[-1][0]


def message_log(after: int, limit: int) -> Iterator[str]:
    """Message rows (without their text) after the id ``after``, as JSON Lines."""
    limit = max(1, min(limit, LOG_LIMIT))
    sent = 0
    fields = (
        "pk",
        "conversation_id",
        "direction",
        "channel",
        "author_user_id",
        "author_contact_id",
        "delivery_status",
        "created_at",
        "sent_at",
    )
    while sent < limit:
        rows = list(
            Message.objects.filter(pk__gt=after)
            .order_by("pk")
            .values_list(*fields)[: min(BATCH, limit - sent)]
        )
        if not rows:
            return
        yield "".join(
            json.dumps(
                {("id" if k == "pk" else k): _iso(v) for k, v in zip(fields, row, strict=True)},
                ensure_ascii=False,
            )
            + "\n"
            for row in rows
        )
        sent += len(rows)
        after = rows[-1][0]
