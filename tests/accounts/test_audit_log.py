"""The audit log: admins browse and export it; nobody edits it from the app; admin-site
changes, role and team changes and token use are recorded."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from sahayak.accounts.models import AuditEvent, Role, User
from sahayak.accounts.services import create_api_token, record_audit
from tests.factories import InboxFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superadmin(admin: User) -> User:
    admin.is_staff = admin.is_superuser = True
    admin.save()
    return admin


def test_admins_browse_and_filter_the_log(web: Client, admin: User, outsider: User) -> None:
    record_audit(actor=admin, action="signin.failed", obj=outsider, data={"ip": "203.0.113.1"})
    record_audit(actor=admin, action="contact.merged", obj=outsider)
    page = web.get("/settings/audit/?action=signin").content.decode()
    assert "signin.failed" in page and "contact.merged" not in page
    assert web.get("/settings/audit/?cursor=%5B%22x%22%5D").status_code == 302


def test_agents_cannot_read_the_log(outsider: User) -> None:
    client = Client()
    client.force_login(outsider)
    assert client.get("/settings/audit/").status_code == 403
    assert client.get("/settings/audit/export.csv").status_code == 403


def test_export_is_csv_with_formulas_defused(web: Client, admin: User) -> None:
    record_audit(
        actor=None,
        action="signin.failed",
        object_type="accounts.user",
        object_id="=HYPERLINK(1)",
    )
    for n in range(5):
        record_audit(actor=admin, action="token.used", object_type="x", object_id=str(n))
    response = web.get("/settings/audit/export.csv?action=signin.failed")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["id", "time_utc", "actor", "action"]
    assert len(rows) == 2 and rows[1][3] == "signin.failed"
    assert rows[1][5] == "'=HYPERLINK(1)"  # a spreadsheet shows it, does not run it
    everything = web.get("/settings/audit/export.csv")
    # Header, the sign-in of the test client, the failure and the five token uses.
    assert len(b"".join(everything.streaming_content).decode().splitlines()) == 8


def test_the_admin_site_cannot_edit_or_delete_entries(superadmin: User) -> None:
    entry = record_audit(actor=superadmin, action="contact.merged", obj=superadmin)
    client = Client()
    client.force_login(superadmin)
    url = f"/admin/accounts/auditevent/{entry.pk}/change/"
    assert client.post(url, {"action": "forged"}).status_code == 403
    assert client.post(url.replace("change/", "delete/"), {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.action == "contact.merged"


def test_role_and_team_changes_in_the_admin_are_recorded(superadmin: User) -> None:
    agent = UserFactory(username="ravi", role=Role.AGENT)
    team = TeamFactory(name="Billing")
    client = Client()
    client.force_login(superadmin)
    page = client.get(f"/admin/accounts/user/{agent.pk}/change/")
    form = page.context["adminform"].form
    data = {
        key: value
        for key, value in form.initial.items()
        if value is not None and key not in ("password", "groups", "user_permissions", "teams")
    }
    data.update(
        {
            "role": Role.SUPERVISOR,
            "date_joined_0": agent.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": agent.date_joined.strftime("%H:%M:%S"),
            "is_active": "on",
        }
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)
    response = client.post(f"/admin/accounts/user/{agent.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    change = AuditEvent.objects.get(action="user.role_changed", object_id=str(agent.pk))
    assert change.actor == superadmin and change.data == {"from": "agent", "to": "supervisor"}
    assert AuditEvent.objects.filter(action="admin.changed", object_id=str(agent.pk)).exists()

    response = client.post(
        f"/admin/accounts/team/{team.pk}/change/",
        {"name": "Billing", "members": [agent.pk]},
    )
    assert response.status_code == 302
    members = AuditEvent.objects.get(action="team.members_changed")
    assert members.data == {"added": [agent.pk], "removed": []}


def test_inbox_settings_changed_in_the_admin_are_recorded(superadmin: User) -> None:
    inbox = InboxFactory(name="Web", channel="webform")
    client = Client()
    client.force_login(superadmin)
    response = client.post(
        f"/admin/conversations/inbox/{inbox.pk}/change/",
        {
            "name": "Web form",
            "channel": "webform",
            "public_key": inbox.public_key,
            "config": "{}",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEvent.objects.get(action="admin.changed", object_type="conversations.inbox")
    assert entry.actor == superadmin and "Name" in entry.data["change"]


def test_token_use_is_recorded_once_a_minute(admin: User) -> None:
    _token, secret = create_api_token(user=admin, name="ci")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/contacts").status_code == 200
    assert client.get("/api/v1/contacts").status_code == 200
    assert AuditEvent.objects.filter(action="token.used").count() == 1


def test_mailbox_settings_changes_are_recorded_without_passwords(api: Any, admin: User) -> None:
    body = {
        "name": "Support",
        "address": "help@shop.example",
        "smtp": {
            "host": "smtp.shop.example",
            "port": 587,
            "security": "starttls",
            "username": "help",
            "password": "first-secret",
        },
    }
    created = api.post("/api/v1/mailboxes", body)
    assert created.status_code == 201, created.content
    changed = api._send(
        "put",
        f"/api/v1/mailboxes/{created.json()['id']}",
        {**body, "smtp": {**body["smtp"], "password": "second-secret"}},
    )
    assert changed.status_code == 200, changed.content
    entries = list(AuditEvent.objects.filter(action__startswith="mailbox.").order_by("id"))
    assert [e.action for e in entries] == ["mailbox.created", "mailbox.changed"]
    assert entries[1].actor == admin and entries[1].data == {"changed": ["smtp.password"]}
    assert "secret" not in str([e.data for e in entries])
