"""Routing in a real browser: the inbox's SLA timer counts down, turns to a warning, then a
breach, without a reload; an agent is told live that a conversation was assigned to them."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .browser import CHROMIUM, live, login
from .helpers import django_eval, kill, prepare_env, start_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]

SETUP = """
from sahayak.accounts.models import Role, User
from sahayak.conversations.models import Inbox
from sahayak.conversations.inbound import InboundMessage
from sahayak.conversations.pipeline import receive
from sahayak.routing.models import AgentRouting, Policy, Presence, RoutingPolicy, SlaPolicy
from sahayak.accounts.services import create_api_token
from django.db import transaction
asha = User.objects.create_user("asha", "asha@support.example", "pw-for-browser", first_name="Asha", role=Role.ADMIN)
ravi = User.objects.create_user("ravi", "ravi@support.example", "pw-for-browser", first_name="Ravi", role=Role.AGENT)
SlaPolicy.objects.create(name="Standard", first_response_minutes=60, warn_minutes=15, business_hours=False)
inbox = Inbox.objects.create(name="API", channel="api")
with transaction.atomic():
    got = receive(InboundMessage(channel="api", inbox=inbox, sender_kind="email",
        sender_address="meera@mail.example", sender_name="Meera Iyer", subject="Parcel is late",
        text="My parcel ORD-7 is a week late.", external_id="m-1"))
from sahayak.routing import deadlines
deadlines.recompute([got.conversation.pk])
auto = Inbox.objects.create(name="Auto", channel="api")
RoutingPolicy.objects.create(inbox=auto, policy=Policy.ROUND_ROBIN)
AgentRouting.objects.create(user=ravi, presence=Presence.ONLINE, capacity={"*": 5})
_token, secret = create_api_token(user=asha)
result = {"conversation": got.conversation.pk, "auto": auto.pk, "token": secret}
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    env = prepare_env(tmp_path, "sahayak_e2e_routing")
    data = django_eval(SETUP, env)
    proc, base = start_server(env, "--no-worker")
    yield base, data
    kill(proc)


def minutes_left(text: str) -> int:
    hours, minutes = re.fullmatch(r"(\d+):(\d\d)", text.strip()).groups()  # type: ignore[union-attr]
    return int(hours) * 60 + int(minutes)


def test_sla_badge_counts_down_then_warns_then_breaches(server, browser):
    base, data = server
    page = login(browser, base, "asha")
    page.clock.install()
    page.goto(f"{base}/?view=all&sort=deadline")
    badge = page.locator(f"#row-{data['conversation']} .sla-badge")
    badge.wait_for()
    assert "sla-ok" in (badge.get_attribute("class") or "")
    start = minutes_left(badge.inner_text())
    assert 57 <= start <= 60
    page.clock.run_for("02:00")  # two minutes pass on the page's clock
    assert minutes_left(badge.inner_text()) == start - 2
    page.clock.run_for("45:00")  # under 15 minutes left: a warning
    page.locator(f"#row-{data['conversation']} .sla-badge.sla-warn").wait_for()
    page.clock.run_for("15:00")  # past the deadline: a breach, counting up
    page.locator(f"#row-{data['conversation']} .sla-badge.sla-breach").wait_for()
    assert badge.inner_text().startswith("\u2212")


def test_an_agent_is_told_live_that_a_conversation_was_assigned_to_them(server, browser):
    base, data = server
    ravi = login(browser, base, "ravi")
    ravi.goto(f"{base}/")
    live(ravi)
    response = httpx.post(
        f"{base}/api/v1/inbound",
        headers={"Authorization": f"Bearer {data['token']}"},
        json={
            "inbox_id": data["auto"],
            "external_id": "m-2",
            "sender": {"kind": "email", "address": "nikos@mail.example", "name": "Νίκος"},
            "subject": "Λάθος μέγεθος",
            "text": "Έλαβα λάθος μέγεθος.",
        },
        timeout=10,
    )
    assert response.status_code in (200, 201), response.text
    ravi.wait_for_selector(".toast:has-text('assigned to you')")
    assert ravi.inner_text("#unread").strip() == "1"
    ravi.goto(f"{base}/?view=mine")
    ravi.wait_for_selector("text=Λάθος μέγεθος")
