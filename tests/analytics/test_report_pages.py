"""The reports pages: for supervisors and admins only, every table and export answers,
bad filters get a clear 400, and the handle-time beacon stores what the page reports."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from sahayak.analytics import facts
from sahayak.analytics.models import HandleSpan

from ..factories import UserFactory
from .timeline import Timeline

pytestmark = pytest.mark.django_db


def _agent_client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_agents_without_supervision_rights_get_403(outsider: Any) -> None:
    client = _agent_client(outsider)
    for path in (
        "/reports/",
        "/reports/team/",
        "/reports/team.csv",
        "/reports/conversations.csv",
        "/reports/today/",
        "/settings/surveys/",
    ):
        assert client.get(path).status_code == 403, path


def test_tables_and_exports_carry_the_figures(web: Any, admin: Any) -> None:
    agent = UserFactory(first_name="Meera")
    for n in range(3):
        t = Timeline()
        t.customer(0)
        t.assign(1, agent)
        t.reply(10 * (n + 1), agent)
        t.status(60, "open", "solved")
    facts.rebuild()
    query = "?from=2026-03-01&to=2026-03-03"
    page = web.get(f"/reports/{query}")
    assert page.status_code == 200
    body = page.content.decode()
    assert "<svg" in body and "Busiest hours" in body
    table = web.get(f"/reports/agent/{query}").content.decode()
    assert "Meera" in table
    rows = list(csv.reader(io.StringIO(web.get(f"/reports/agent.csv{query}").content.decode())))
    assert rows[1][0].startswith("Meera") and rows[1][2] == "3" and rows[1][3] == "1200.0"
    book = load_workbook(io.BytesIO(web.get(f"/reports/agent.xlsx{query}").content))
    assert book.active.cell(row=2, column=3).value == 3
    export = web.get(f"/reports/conversations.csv{query}")
    lines = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert lines[0][:3] == ["conversation_id", "cycle", "opened_at"]
    assert len(lines) == 4 and lines[1][2] == "2026-03-02T09:00:00Z"
    assert lines[1][-2:] == ["0", ""]  # not reopened, not rated


def test_a_bad_filter_is_a_clear_400(web: Any) -> None:
    response = web.get("/reports/?from=2026-02-30&to=2026-03-01")
    assert response.status_code == 400 and "not a date" in response.content.decode()
    assert web.get("/reports/team.csv?days=abc").status_code == 400
    assert web.get("/reports/nothing/").status_code == 404


def test_empty_filter_fields_mean_everything(web: Any) -> None:
    """The filter form sends every field; an empty one filters nothing."""
    t = Timeline()
    t.customer(0)
    facts.rebuild()
    query = "from=2026-03-02&to=2026-03-02&days=&team=&channel=&inbox=&language="
    page = web.get(f"/reports/?{query}", HTTP_HX_REQUEST="true").content.decode()
    assert '<p class="big">1</p>' in page


def test_htmx_filters_return_only_the_report_body(web: Any) -> None:
    response = web.get("/reports/?days=7", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and "kpis" in body


def test_the_handle_time_beacon_is_clamped_and_counted(web: Any, admin: Any) -> None:
    t = Timeline()
    t.customer(0)
    t.reply(5, admin)
    t.status(10, "open", "solved")
    url = f"/c/{t.conversation.pk}/handle/"
    assert web.post(url, {"seconds": "45"}).json() == {"stored": 45}
    assert web.post(url, {"seconds": "9999"}).json() == {"stored": 120}
    assert web.post(url, {"seconds": "x"}).status_code == 400
    assert HandleSpan.objects.count() == 2


def test_the_handle_beacon_checks_who_may_see_the_conversation(
    outsider: Any, private_team: Any
) -> None:
    t = Timeline(team=private_team)
    assert (
        _agent_client(outsider)
        .post(f"/c/{t.conversation.pk}/handle/", {"seconds": "5"})
        .status_code
        == 404
    )


def test_reports_api_and_event_log_export(api: Any, admin: Any) -> None:
    t = Timeline()
    t.customer(0)
    t.status(5, "new", "open")
    t.status(30, "open", "solved")
    facts.rebuild()
    overview = api.get("/api/v1/reports/overview?from=2026-03-02&to=2026-03-02")
    assert overview.status_code == 200
    data = overview.json()
    assert data["figures"]["solved"] == 1 and data["period"]["days_per_point"] == 1
    assert api.get("/api/v1/reports/tables/channel?days=7").status_code == 200
    assert api.get("/api/v1/reports/overview?days=0").status_code == 422
    log = b"".join(api.get("/api/v1/export/events?after=0&limit=1").streaming_content).decode()
    lines = log.strip().splitlines()
    assert len(lines) == 1
    import json

    first = json.loads(lines[0])
    rest = b"".join(
        api.get(f"/api/v1/export/events?after={first['id']}").streaming_content
    ).decode()
    assert [json.loads(x)["kind"] for x in rest.strip().splitlines()] == ["status"]
    messages = b"".join(api.get("/api/v1/export/messages").streaming_content).decode()
    assert '"direction": "in"' in messages and '"text"' not in messages


def test_the_live_today_view_counts_open_waiting_and_agents(web: Any, admin: Any) -> None:
    from django.utils import timezone

    from sahayak.conversations.models import Conversation
    from sahayak.routing.models import AgentRouting

    waiting = Timeline(start=timezone.now())
    Conversation.objects.filter(pk=waiting.conversation.pk).update(
        status="open", waiting_since=timezone.now()
    )
    Timeline(start=timezone.now())  # new, not waiting
    AgentRouting.objects.update_or_create(user=admin, defaults={"presence": "online"})
    Conversation.objects.filter(pk=waiting.conversation.pk).update(assignee=admin)
    page = web.get("/reports/today/").content.decode()
    assert f"#{waiting.conversation.pk}" in page  # the longest wait links to it
    body = web.get("/reports/today/", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in body and str(admin) in body
