"""Automation rules in the workspace: the editor's rows become a stored rule, order and
switches, the rule page with the dry run, and the run's trace for agents who may see it."""

from __future__ import annotations

import pytest

from sahayak.automation import engine
from sahayak.automation.conditions import Facts
from sahayak.automation.models import Rule, RuleRun
from tests.factories import ConversationFactory, InboxFactory, TeamFactory, UserFactory
from tests.web.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_the_editor_stores_names_as_ids_and_both_groups(web):
    team = TeamFactory(name="Billing")
    InboxFactory(name="Shop mail")
    agent = UserFactory(username="meera")
    post = {
        "trigger": "event",
        "name": "Refunds to billing",
        "enabled": "1",
        "events": ["customer_message"],
        "c-all-0-field": "inbox",
        "c-all-0-op": "in",
        "c-all-0-value": "Shop mail",
        "c-all-1-field": "",
        "c-any-0-field": "message",
        "c-any-0-op": "contains",
        "c-any-0-value": "remboursement",
        "c-any-1-field": "message",
        "c-any-1-op": "contains",
        "c-any-1-value": "refund",
        "a-0-type": "team",
        "a-0-value": "billing",
        "a-1-type": "assign",
        "a-1-value": "meera",
        "a-2-type": "email",
        "a-2-value": "lead@shop.example",
        "a-2-text": "Refund asked on #{{ conversation.number }}\nPlease look.",
        "a-3-type": "",
    }
    answer = web.post("/settings/automation/new/", post)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    rule = Rule.objects.get(name="Refunds to billing")
    items = rule.conditions["items"]
    assert items[0]["field"] == "inbox" and isinstance(items[0]["value"][0], int)
    assert items[1]["match"] == "any" and len(items[1]["items"]) == 2
    assert rule.actions[0] == {"type": "team", "value": team.pk}
    assert rule.actions[1] == {"type": "assign", "value": agent.pk}
    assert rule.actions[2]["subject"] == "Refund asked on #{{ conversation.number }}"
    page = web.get(f"/settings/automation/{rule.pk}/edit/").content.decode()
    assert 'value="Shop mail"' in page and 'value="billing"' in page.lower()
    summary = web.get(f"/settings/automation/{rule.pk}/").content.decode()
    assert "At least one of:" in summary and "remboursement" in summary


def test_a_mistake_is_shown_and_nothing_is_saved(web):
    post = {
        "trigger": "event",
        "name": "Bad",
        "events": ["customer_message"],
        "a-0-type": "assign",
        "a-0-value": "nobody-here",
    }
    answer = web.post("/settings/automation/new/", post)
    assert answer.status_code == 422 and "nobody-here" in answer.content.decode()
    assert not Rule.objects.filter(name="Bad").exists()


def test_list_order_switch_and_dry_run(web):
    rule = Rule.objects.create(
        name="Late", events=["created"], actions=[{"type": "add_tags", "value": ["x"]}], position=99
    )
    listing = web.get("/settings/automation/").content.decode()
    assert "Acknowledge new email" in listing and "Late" in listing
    web.post(f"/settings/automation/{rule.pk}/move/", {"up": "1"})
    assert Rule.objects.order_by("position", "id").values_list("pk", flat=True)[1] == rule.pk
    web.post(f"/settings/automation/{rule.pk}/toggle/")
    assert Rule.objects.get(pk=rule.pk).enabled is False
    ConversationFactory(subject="Where is my parcel")
    dry = web.post(f"/settings/automation/{rule.pk}/dry-run/").content.decode()
    assert "Where is my parcel" in dry and "1 of 1" in dry


def test_agents_see_a_runs_trace_only_for_conversations_they_see(outsider, private_team):
    rule = Rule.objects.create(
        name="Tagger", events=["created"], actions=[{"type": "add_tags", "value": ["x"]}]
    )
    hidden = ConversationFactory(team=private_team)
    [run] = engine.run_rules(
        [rule], Facts(hidden, now=hidden.created_at), trigger="created", key="k"
    )
    client = signed_in(outsider)
    assert client.get(f"/automation/runs/{run.pk}/").status_code == 403
    assert client.get("/settings/automation/").status_code == 403
    visible = ConversationFactory()
    [run2] = engine.run_rules(
        [rule], Facts(visible, now=visible.created_at), trigger="created", key="k"
    )
    assert client.get(f"/automation/runs/{run2.pk}/").status_code == 200
    assert RuleRun.objects.count() == 2
