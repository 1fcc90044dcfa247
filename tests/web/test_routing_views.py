"""Routing and SLA screens: settings for managers only, presence for everyone, the inbox's
SLA badges, deadline order and "breaching soon" view, and the activity's reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sahayak.conversations.events import EventKind
from sahayak.conversations.models import Event
from sahayak.notifications.models import Notification
from sahayak.routing.models import (
    AgentRouting,
    Calendar,
    ConversationSla,
    Holiday,
    Policy,
    RoutingPolicy,
    SlaPolicy,
)
from tests.factories import ConversationFactory, InboxFactory

from .conftest import signed_in

pytestmark = pytest.mark.django_db

ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:1\r
DTSTART;VALUE=DATE:20260126\r
SUMMARY:Republic Day\r
RRULE:FREQ=YEARLY\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:2\r
DTSTART;VALUE=DATE:20261108\r
SUMMARY:Diwali\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_agents_cannot_open_routing_settings(teammate):
    client = signed_in(teammate)
    assert client.get("/settings/routing/").status_code == 403
    assert client.post("/settings/sla/new/", {"name": "x"}).status_code == 403
    assert not SlaPolicy.objects.exists()


def test_overview_lists_policies_agents_calendars_and_slas(admin):
    RoutingPolicy.objects.create(inbox=InboxFactory(name="Billing"), policy=Policy.ROUND_ROBIN)
    Calendar.objects.create(name="India", time_zone="Asia/Kolkata")
    SlaPolicy.objects.create(name="Gold", first_response_minutes=90)
    page = signed_in(admin).get("/settings/routing/").content.decode()
    for text in ("Billing", "Round robin", "India", "Gold", "1 h 30 min"):
        assert text in page


def test_a_calendar_is_typed_as_lines_and_reads_back_the_same(admin):
    client = signed_in(admin)
    response = client.post(
        "/settings/calendars/new/",
        {
            "name": "Night desk",
            "time_zone": "Europe/Athens",
            "weekly": "mon 09:00-17:00\nfri 21:00-02:00, 9:00-12:00",
            "away_messages": "el: Είμαστε κλειστά, επιστρέφουμε {opens}.\n*: We are closed until {opens}.",
        },
    )
    assert response.status_code == 302
    calendar = Calendar.objects.get(name="Night desk")
    assert calendar.weekly == {
        "0": [["09:00", "17:00"]],
        "4": [["21:00", "02:00"], ["09:00", "12:00"]],
    }
    assert calendar.away_messages["el"].startswith("Είμαστε")
    page = client.get(f"/settings/calendars/{calendar.pk}/").content.decode()
    assert "fri 21:00-02:00, 09:00-12:00" in page


def test_bad_hours_are_refused_with_the_reason(admin):
    response = signed_in(admin).post(
        "/settings/calendars/new/",
        {"name": "Broken", "time_zone": "UTC", "weekly": "someday 9-5"},
    )
    assert response.status_code == 200
    assert "Start each line with a day" in response.content.decode()
    assert not Calendar.objects.exists()


def test_holidays_are_added_and_imported_from_icalendar(admin):
    calendar = Calendar.objects.create(name="India", time_zone="Asia/Kolkata")
    client = signed_in(admin)
    client.post(
        f"/settings/calendars/{calendar.pk}/holidays/", {"day": "2026-03-04", "name": "Holi"}
    )
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        f"/settings/calendars/{calendar.pk}/holidays/import/",
        {"file": SimpleUploadedFile("india.ics", ICS, content_type="text/calendar")},
        follow=True,
    )
    assert "2 holidays imported" in response.content.decode()
    days = {(h.day.isoformat(), h.yearly, h.name) for h in Holiday.objects.all()}
    assert days == {
        ("2026-03-04", False, "Holi"),
        ("2000-01-26", True, "Republic Day"),
        ("2026-11-08", False, "Diwali"),
    }
    bad = client.post(
        f"/settings/calendars/{calendar.pk}/holidays/import/",
        {"file": SimpleUploadedFile("x.ics", b"not a calendar")},
        follow=True,
    )
    assert "Not an iCalendar file" in bad.content.decode()


def test_sla_policy_form_stores_conditions_and_targets(admin):
    inbox = InboxFactory(name="VIP")
    response = signed_in(admin).post(
        "/settings/sla/new/",
        {
            "name": "VIP",
            "position": "1",
            "is_active": "on",
            "inboxes": [str(inbox.pk)],
            "priorities": ["urgent", "high"],
            "tags": "VIP, gold",
            "custom_field": "plan=enterprise",
            "first_response_minutes": "30",
            "warn_minutes": "10",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = SlaPolicy.objects.get()
    assert policy.conditions == {
        "inbox": [inbox.pk],
        "priority": ["urgent", "high"],
        "tag": ["vip", "gold"],
        "custom_field": {"plan": "enterprise"},
    }
    empty = signed_in(admin).post(
        "/settings/sla/new/", {"name": "Nothing", "position": "2", "warn_minutes": "5"}
    )
    assert "Set at least one target" in empty.content.decode()


def test_agent_capacity_skills_and_languages_are_typed_as_text(admin, teammate):
    response = signed_in(admin).post(
        f"/settings/routing/agents/{teammate.pk}/",
        {"capacity": "chat=3, email=20, *=5", "skills": "Billing, refunds", "languages": "el, fr"},
    )
    assert response.status_code == 302
    routing = AgentRouting.objects.get(user=teammate)
    assert routing.capacity == {"chat": 3, "email": 20, "*": 5}
    assert routing.skills == ["billing", "refunds"] and routing.languages == ["el", "fr"]
    bad = signed_in(admin).post(
        f"/settings/routing/agents/{teammate.pk}/", {"capacity": "pigeon=3"}
    )
    assert "Unknown channel: pigeon" in bad.content.decode()


def test_an_agent_sets_themselves_away_and_back(teammate):
    client = signed_in(teammate)
    client.post("/presence/", {"away": "1", "next": "/"})
    assert AgentRouting.objects.get(user=teammate).away
    page = client.get("/").content.decode()
    assert "Away — set available" in page
    client.post("/presence/", {"away": "0", "next": "https://elsewhere.example/"})
    assert not AgentRouting.objects.get(user=teammate).away


def _with_deadline(minutes: float, **kw: Any) -> Any:
    conversation = ConversationFactory(**kw)
    due = timezone.now() + timedelta(minutes=minutes)
    began = due - timedelta(minutes=60)
    policy = SlaPolicy.objects.first() or SlaPolicy.objects.create(
        name="Std", first_response_minutes=60, warn_minutes=15
    )
    ConversationSla.objects.create(
        conversation=conversation,
        policy=policy,
        next_due=due,
        next_metric="first_response",
        plan={  # calendar time (no calendar set): due an hour after it began
            "first_response": [
                3_600_000_000,
                began.isoformat(),
                None,
                1,
                [(began - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1), None],
            ]
        },
    )
    return conversation


def test_inbox_shows_timer_badges_sorts_by_deadline_and_lists_breaching_soon(admin):
    late = _with_deadline(-5)
    soon = _with_deadline(10)
    later = _with_deadline(300)
    none = ConversationFactory()
    client = signed_in(admin)
    page = client.get("/?view=all&sort=deadline").content.decode()
    order = [page.index(f'id="row-{c.pk}"') for c in (late, soon, later, none)]
    assert order == sorted(order)
    assert (
        "sla-badge sla-breach" in page
        and "sla-badge sla-warn" in page
        and "sla-badge sla-ok" in page
    )
    breaching = client.get("/?view=breaching").content.decode()
    assert f'id="row-{late.pk}"' in breaching and f'id="row-{soon.pk}"' in breaching
    assert f'id="row-{later.pk}"' not in breaching and f'id="row-{none.pk}"' not in breaching


def test_deadline_order_pages_with_a_fixed_number_of_queries(admin):
    for i in range(12):
        _with_deadline(i * 10)
    client = signed_in(admin)
    with CaptureQueriesContext(connection) as few:
        client.get("/?view=all&sort=deadline&partial=list", HTTP_HX_REQUEST="true")
    for i in range(30):
        _with_deadline(200 + i)
    with CaptureQueriesContext(connection) as many:
        client.get("/?view=all&sort=deadline&partial=list", HTTP_HX_REQUEST="true")
    assert len(many) == len(few)


def test_a_forged_deadline_cursor_is_refused_not_a_server_error(admin):
    response = signed_in(admin).get("/?view=all&sort=deadline&cursor=WyJub3QgYSBkYXRlIiwgMV0")
    assert response.status_code == 302


def test_activity_explains_an_automatic_assignment(admin, teammate):
    from sahayak.conversations.services import assign

    conversation = ConversationFactory()
    assign(
        conversation=conversation,
        assignee=teammate,
        actor=None,
        routing={"policy": "round_robin", "reason": "language_fallback", "considered": [1, 2, 3]},
    )
    page = signed_in(admin).get(f"/c/{conversation.pk}/").content.decode()
    assert (
        "Round robin: no agent speaking the customer&#x27;s language was free in time (3 agents considered)"
        in page
    )


def test_assignment_and_sla_events_notify_the_assignee(
    teammate, django_capture_on_commit_callbacks
):
    from sahayak.conversations.events import record
    from sahayak.conversations.services import assign

    conversation = ConversationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assign(
            conversation=conversation,
            assignee=teammate,
            actor=None,
            routing={"policy": "round_robin"},
        )
        record(
            EventKind.SLA_BREACHED,
            conversation,
            metric="first_response",
            due=timezone.now().isoformat(),
        )
    kinds = sorted(Notification.objects.filter(recipient=teammate).values_list("kind", flat=True))
    assert kinds == ["assigned", "sla_breached"]
    # Assigning oneself is no news.
    other = ConversationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assign(conversation=other, assignee=teammate, actor=teammate)
    assert Notification.objects.filter(recipient=teammate, conversation=other).count() == 0
    assert Event.objects.filter(kind=EventKind.SLA_BREACHED).count() == 1
    page = signed_in(teammate).get("/notifications/").content.decode()
    assert "Assigned to you" in page and "SLA deadline missed" in page
