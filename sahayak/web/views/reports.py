"""Reports (supervisors and admins): the overview with charts, tables by dimension and
their exports, the live "today" view, and the handle-time beacon of the conversation page."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sahayak.accounts.models import User
from sahayak.analytics import charts, dashboard, exports, handle, live
from sahayak.routing.models import Metric

from ..activity import choice_label
from .common import agent, conversation_for, is_htmx, login_required

WEEKDAYS_FMT = "D"


def _manager(request: HttpRequest) -> User:
    user = agent(request)
    if not user.sees_everything:
        raise PermissionDenied(_("Reports are for supervisors and administrators."))
    return user


def _zone(user: User) -> str:
    return user.time_zone or "UTC"


def _scope_or_error(request: HttpRequest, user: User) -> Any:
    try:
        return dashboard.scope_from(request.GET, _zone(user)), ""
    except dashboard.ReportError as exc:
        return dashboard.scope_from({}, _zone(user)), str(exc)


def _day_label(value: str) -> str:
    return date_format(date.fromisoformat(value), "M j")


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    scope, error = _scope_or_error(request, user)
    data = dashboard.overview(scope, compare=request.GET.get("compare", "1") != "0")
    labels = [_day_label(d) for d in data["labels"]]
    volume = data["volume"]
    weekdays = [date_format(date(2024, 1, 1 + d), WEEKDAYS_FMT) for d in range(7)]
    sla = data["figures"]["sla_by_metric"]
    context = {
        "scope": scope,
        "error": error,
        "data": data,
        "f": data["figures"],
        "p": data["previous"] or {},
        "labels": labels,
        "rows": list(
            zip(
                labels,
                volume["created"],
                volume["solved"],
                volume["backlog"],
                data["first_response"],
                data["resolution"],
                data["satisfaction"]["csat"],
                data["satisfaction"]["nps"],
                strict=True,
            )
        ),
        "volume_chart": charts.time_chart(
            _("Conversations opened and solved, and the backlog"),
            labels,
            [
                charts.Series(_("Opened"), volume["created"], "bar"),
                charts.Series(_("Solved"), volume["solved"], "bar"),
                charts.Series(_("Backlog"), volume["backlog"]),
            ],
        ),
        "time_chart": charts.time_chart(
            _("Median first response and resolution time (hours)"),
            labels,
            [
                charts.Series(_("First response"), [_hours(v) for v in data["first_response"]]),
                charts.Series(_("Resolution"), [_hours(v) for v in data["resolution"]]),
            ],
            fmt=lambda v: f"{v:.3g}",
        ),
        "satisfaction_chart": charts.time_chart(
            _("CSAT (percent satisfied) and NPS"),
            labels,
            [
                charts.Series(_("CSAT"), data["satisfaction"]["csat"]),
                charts.Series(_("NPS"), data["satisfaction"]["nps"]),
            ],
            fmt=lambda v: f"{v:.0f}",
        ),
        "channel_chart": charts.bar_list(
            _("Conversations by channel"),
            [(dashboard.names_of("channel", [k]).get(k, k), n) for k, n in data["channels"]],
        ),
        "channel_rows": [
            (dashboard.names_of("channel", [k]).get(k, k), n) for k, n in data["channels"]
        ],
        "heat_chart": charts.heat_map(
            _("Conversations opened by weekday and hour"), weekdays, data["heat_map"]
        ),
        "heat_rows": list(zip(weekdays, data["heat_map"], strict=True)),
        "sla_chart": charts.bar_list(
            _("SLA targets met (%)"),
            [(choice_label(Metric, m), 100 * (v or 0)) for m, v in sla.items()],
            fmt=lambda v: f"{v:.0f}%",
        ),
        "sla_rows": [(choice_label(Metric, m), v) for m, v in sla.items()],
        "tables": dashboard.BY,
        "choices": dashboard.filter_choices(),
        "selected": {
            "team": {str(t) for t in scope.teams},
            "inbox": {str(i) for i in scope.inboxes},
            "channel": set(scope.channels),
            "language": set(scope.languages),
        },
        "days": request.GET.get("days", "" if request.GET.get("from") else "30"),
        "presets": dashboard.PRESETS,
        "query": request.GET.urlencode(),
        "zone": _zone(user),
    }
    template = "web/reports/report_body.html" if is_htmx(request) else "web/reports/overview.html"
    return render(request, template, context, status=400 if error else 200)


@login_required
def table_page(request: HttpRequest, by: str) -> HttpResponse:
    user = _manager(request)
    scope, error = _scope_or_error(request, user)
    try:
        rows = dashboard.table(scope, by)
    except dashboard.ReportError as exc:
        return HttpResponse(str(exc), status=404, content_type="text/plain; charset=utf-8")
    return render(
        request,
        "web/reports/table.html",
        {
            "rows": rows,
            "by": by,
            "by_label": dashboard.BY[by],
            "query": request.GET.urlencode(),
            "error": error,
        },
    )


@login_required
def export_table(request: HttpRequest, by: str, fmt: str) -> HttpResponse:
    user = _manager(request)
    try:
        scope = dashboard.scope_from(request.GET, _zone(user))
        rows = dashboard.table(scope, by)
    except dashboard.ReportError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    return exports.table_response(rows, by, fmt, scope)


@login_required
def export_conversations(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    user = _manager(request)
    try:
        scope = dashboard.scope_from(request.GET, _zone(user))
    except dashboard.ReportError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(
        exports.conversation_rows_csv(scope), content_type="text/csv; charset=utf-8"
    )
    name = f"conversations-{scope.period.first}-{scope.period.last}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
def today(request: HttpRequest) -> HttpResponse:
    user = _manager(request)
    teams = tuple(int(t) for t in request.GET.getlist("team") if t.isdigit())
    data = live.today(teams, _zone(user))
    template = "web/reports/today_body.html" if is_htmx(request) else "web/reports/today.html"
    return render(
        request,
        template,
        {
            "data": data,
            "choices": dashboard.filter_choices(),
            "teams": {str(t) for t in teams},
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def handle_beacon(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """The conversation page reports the seconds it was in focus (sendBeacon)."""
    conversation = conversation_for(request, conversation_id)
    try:
        seconds = int(request.POST.get("seconds", "0"))
    except ValueError:
        return JsonResponse({"error": _("seconds must be a number")}, status=400)
    stored = handle.record(agent(request), conversation, seconds)
    return JsonResponse({"stored": stored})


@login_required
def metrics_help(request: HttpRequest) -> HttpResponse:
    """docs/metrics.md, the definitions behind every figure."""
    from pathlib import Path

    from django.conf import settings
    from django.http import Http404
    from markdown_it import MarkdownIt

    _manager(request)
    path = Path(settings.BASE_DIR).parent / "docs" / "metrics.md"
    if not path.exists():
        raise Http404(_("The metric definitions are not installed."))
    html = MarkdownIt("commonmark", {"html": False}).enable("table").render(path.read_text())
    return render(request, "web/reports/metrics.html", {"body": html})
