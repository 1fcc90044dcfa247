"""The reports page in a real browser: a supervisor opens the overview, changes the
period and the team, and sees the figures and charts update without a reload; the
charts have their table alternative and the page works at phone width."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from .browser import CHROMIUM, login
from .helpers import django_eval, kill, prepare_env, start_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]

# Red team: three conversations this week; Blue: one, opened 20 days ago.
SETUP = """
from datetime import timedelta
from django.utils import timezone
from sahayak.accounts.models import Role, Team, User
from sahayak.analytics import facts
from sahayak.contacts.models import Contact
from sahayak.conversations.models import Conversation, Event, Inbox, Message
boss = User.objects.create_user("marie", "marie@support.example", "pw-for-browser",
    first_name="Marie", role=Role.SUPERVISOR, locale="en", time_zone="Asia/Kolkata")
red, blue = Team.objects.create(name="Red"), Team.objects.create(name="Blue")
inbox = Inbox.objects.create(name="Mail", channel="email")
now = timezone.now()
for n, (team, days) in enumerate([(red, 1), (red, 2), (red, 3), (blue, 20)]):
    contact = Contact.objects.create(name=f"Customer {n}")
    c = Conversation.objects.create(subject=f"Q{n}", channel="email", inbox=inbox,
        contact=contact, team=team, status="solved")
    start = now - timedelta(days=days)
    Conversation.objects.filter(pk=c.pk).update(created_at=start)
    m = Message.objects.create(conversation=c, direction="in", channel="email", text="Hi")
    r = Message.objects.create(conversation=c, direction="out", channel="email", text="Hello",
        author_user=boss, delivery_status="sent")
    Message.objects.filter(pk=m.pk).update(created_at=start)
    Message.objects.filter(pk=r.pk).update(created_at=start + timedelta(minutes=30))
    e = Event.objects.create(conversation=c, kind="status", data={"from": "open", "to": "solved"})
    Event.objects.filter(pk=e.pk).update(created_at=start + timedelta(hours=2))
facts.rebuild()
result = {"red": red.pk, "blue": blue.pk}
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, int]]]:
    env = prepare_env(tmp_path, "sahayak_e2e_reports")
    env["SAHAYAK_REPORTS_CACHE_SECONDS"] = "0"
    teams = django_eval(SETUP, env)
    proc, base = start_server(env, "--no-telegram", "--no-fetchmail")
    yield base, teams
    kill(proc)


def _opened(page) -> str:
    return page.locator(".kpi").first.locator(".big").inner_text()


def test_changing_period_and_team_updates_figures_and_charts(server, browser):
    base, teams = server
    page = login(browser, base, "marie")
    page.goto(f"{base}/reports/?days=30")
    assert _opened(page) == "4"
    assert page.locator("svg.chart").count() >= 5
    bars_before = page.locator("svg.chart").first.locator("rect").count()
    page.select_option("#f-team", str(teams["red"]))
    page.wait_for_url(f"**team={teams['red']}**")
    expect(page.locator(".kpi .big").first).to_have_text("3")
    page.select_option("#f-days", "7")
    page.wait_for_url("**days=7**")
    page.locator("text=compared with the period before").wait_for()
    assert _opened(page) == "3"
    # mark the figures on screen, so the wait below is for the new ones
    page.evaluate("document.querySelector('#report details.data-table').dataset.old = '1'")
    page.select_option("#f-team", "")
    fresh = page.locator("#report details.data-table:not([data-old])")
    fresh.wait_for()
    expect(page.locator(".kpi .big").first).to_have_text("3")
    assert page.locator("svg.chart").first.locator("rect").count() <= bars_before
    # the table alternative of the charts
    fresh.locator("summary").click()
    expect(fresh.locator("table").first).to_be_visible()
    # a table by team, and back
    page.click("text=By Team")
    page.locator("th[scope=row]", has_text="Red").wait_for()


def test_reports_at_phone_width(server, browser):
    base, _teams = server
    page = login(browser, base, "marie")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/reports/?days=30")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, f"the page scrolls sideways: {width}px"
    assert page.locator("svg.chart").first.is_visible()
