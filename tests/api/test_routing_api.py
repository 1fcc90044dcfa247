"""Routing and SLA settings over the API: the workspace's rules, the same validation."""

from __future__ import annotations

import pytest

from sahayak.conversations.pipeline import receive
from sahayak.routing.models import AgentRouting, Calendar, RoutingPolicy, SlaPolicy
from tests.conftest import client_for, inbound
from tests.factories import InboxFactory

pytestmark = pytest.mark.django_db

ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:1\r\n"
    "DTSTART;VALUE=DATE:20261225\r\nSUMMARY:Noël\r\nRRULE:FREQ=YEARLY\r\nEND:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)


def test_calendar_with_hours_and_holidays(api):
    created = api.post(
        "/api/v1/routing/calendars",
        {
            "name": "France",
            "time_zone": "Europe/Paris",
            "weekly": {"mon": ["09:00-17:00"], "fri": ["21:00-02:00"]},
            "away_messages": {"fr": "Nous revenons {opens}."},
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["weekly"] == {"0": [["09:00", "17:00"]], "4": [["21:00", "02:00"]]}
    cid = body["id"]
    imported = api.post(f"/api/v1/routing/calendars/{cid}/holidays/import", {"ics": ICS})
    assert imported.json() == {"added": 1, "skipped": 0}
    added = api.post(
        f"/api/v1/routing/calendars/{cid}/holidays", {"day": "2026-07-14", "name": "Fête nationale"}
    )
    assert added.status_code == 201
    holidays = api.get(f"/api/v1/routing/calendars/{cid}").json()["holidays"]
    assert {(h["day"], h["yearly"]) for h in holidays} == {
        ("2000-12-25", True),
        ("2026-07-14", False),
    }
    bad = api.post("/api/v1/routing/calendars", {"name": "Bad", "weekly": {"mon": ["9 to 5"]}})
    assert bad.status_code == 422 and "09:00-17:00" in bad.json()["detail"]
    assert (
        api.post(f"/api/v1/routing/calendars/{cid}/holidays/import", {"ics": "nope"}).status_code
        == 422
    )


def test_policies_agents_and_presence(api, admin, teammate):
    inbox = InboxFactory(name="Chat")
    made = api.post(
        "/api/v1/routing/policies",
        {
            "inbox_id": inbox.pk,
            "policy": "least_loaded",
            "order": "priority",
            "skills": ["Billing"],
        },
    )
    assert made.status_code == 201, made.content
    assert RoutingPolicy.objects.get().skills == ["billing"]
    twice = api.post("/api/v1/routing/policies", {"inbox_id": inbox.pk, "policy": "round_robin"})
    assert twice.status_code == 422  # one policy per inbox
    agent = api.put(
        f"/api/v1/routing/agents/{teammate.pk}",
        {"capacity": {"chat": 3, "email": 20}, "languages": ["el"], "backup_id": admin.pk},
    )
    assert agent.status_code == 200, agent.content
    assert AgentRouting.objects.get(user=teammate).backup == admin
    assert (
        api.put(f"/api/v1/routing/agents/{teammate.pk}", {"capacity": {"fax": 1}}).status_code
        == 422
    )
    mine = client_for(teammate).put("/api/v1/routing/me/presence", {"away": True})
    assert mine.status_code == 200 and mine.json()["away"] is True
    assert api.get("/api/v1/routing/queue").json() == {"queued": 0}


def test_agents_may_read_but_not_change_routing(teammate):
    client = client_for(teammate)
    assert client.get("/api/v1/routing/sla-policies").status_code == 200
    refused = client.post(
        "/api/v1/routing/sla-policies", {"name": "x", "first_response_minutes": 5}
    )
    assert refused.status_code == 403
    assert not SlaPolicy.objects.exists() and not Calendar.objects.exists()


def test_sla_policy_and_a_conversations_clocks(api, api_inbox, django_capture_on_commit_callbacks):
    made = api.post(
        "/api/v1/routing/sla-policies",
        {
            "name": "Email",
            "conditions": {"channel": ["api"], "priority": ["normal", "high"]},
            "first_response_minutes": 60,
            "business_hours": False,
        },
    )
    assert made.status_code == 201, made.content
    assert made.json()["conditions"] == {"channel": ["api"], "priority": ["normal", "high"]}
    with django_capture_on_commit_callbacks(execute=True):
        conversation = receive(inbound(api_inbox)).conversation
    clocks = api.get(f"/api/v1/routing/conversations/{conversation.pk}/sla").json()
    assert clocks["next_metric"] == "first_response"
    assert clocks["clocks"]["first_response"]["state"] == "running"
    none = api.post("/api/v1/routing/sla-policies", {"name": "Empty"})
    assert none.status_code == 422 and "at least one target" in none.json()["detail"]


def test_clocks_of_a_conversation_one_may_not_see_are_not_found(outsider, api_inbox):
    from tests.factories import ConversationFactory, TeamFactory

    hidden = ConversationFactory(team=TeamFactory(name="Secret", is_private=True))
    response = client_for(outsider).get(f"/api/v1/routing/conversations/{hidden.pk}/sla")
    assert response.status_code == 404
