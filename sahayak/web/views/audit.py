"""The audit log for administrators: browse with filters, export as CSV (read-only)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date

from sahayak.accounts.audit import AuditFilter, export_rows, filtered
from sahayak.accounts.models import Role
from sahayak.pagination import BadCursor, keyset_page

from .common import agent, login_required

PAGE = 100


def _admin_only(request: HttpRequest) -> None:
    user = agent(request)
    if not (user.is_superuser or user.role == Role.ADMIN):
        raise PermissionDenied


def _filter(request: HttpRequest) -> AuditFilter:
    get = request.GET
    return AuditFilter(
        action=get.get("action", "").strip()[:64],
        actor=get.get("actor", "").strip()[:150],
        object_type=get.get("object_type", "").strip()[:64],
        object_id=get.get("object_id", "").strip()[:64],
        since=parse_date(get.get("since", "") or "") if _is_date(get.get("since")) else None,
        until=parse_date(get.get("until", "") or "") if _is_date(get.get("until")) else None,
    )


def _is_date(value: str | None) -> bool:
    try:
        return bool(value) and parse_date(value or "") is not None
    except ValueError:
        return False


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    criteria = _filter(request)
    try:
        rows, next_cursor = keyset_page(
            filtered(criteria), keys=["-id"], cursor=request.GET.get("cursor"), limit=PAGE
        )
    except BadCursor:
        return redirect("web:audit")
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(
        request,
        "web/audit.html",
        {
            "rows": rows,
            "next_cursor": next_cursor,
            "criteria": criteria,
            "query": query.urlencode(),
        },
    )


@login_required
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    _admin_only(request)
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        export_rows(filtered(_filter(request))), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="sahayak-audit-{stamp}.csv"'
    return response
