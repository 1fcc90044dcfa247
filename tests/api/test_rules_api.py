"""Automation rules over the API: manage, order, dry run, runs, and who may do what."""

from __future__ import annotations

import pytest

from sahayak.automation import engine
from sahayak.automation.conditions import Facts
from sahayak.automation.models import Rule
from tests.conftest import client_for
from tests.factories import ConversationFactory

URGENT_TAG = {
    "name": "Tag urgent",
    "events": ["customer_message", "priority"],
    "conditions": {
        "match": "all",
        "items": [{"field": "priority", "op": "in", "value": ["urgent"]}],
    },
    "actions": [{"type": "add_tags", "value": ["hot"]}],
}


@pytest.mark.django_db
def test_create_read_update_order_and_delete(api):
    made = api.post("/api/v1/rules", URGENT_TAG)
    assert made.status_code == 201, made.content
    rule = made.json()
    assert rule["trigger"] == "event" and rule["events"] == ["customer_message", "priority"]
    listed = [r["id"] for r in api.get("/api/v1/rules").json()]
    assert listed[-1] == rule["id"]  # new rules go last, after the shipped ones
    changed = api.put(f"/api/v1/rules/{rule['id']}", {**URGENT_TAG, "enabled": False})
    assert changed.json()["enabled"] is False
    ordered = api.post("/api/v1/rules/order", {"ids": [rule["id"]]}).json()
    assert ordered[0]["id"] == rule["id"]
    assert api.delete(f"/api/v1/rules/{rule['id']}").status_code == 204
    shipped = Rule.objects.get(builtin="acknowledgement")
    assert api.delete(f"/api/v1/rules/{shipped.pk}").status_code == 409


@pytest.mark.django_db
def test_time_rules_and_clear_errors(api):
    timed = {
        **URGENT_TAG,
        "trigger": "time",
        "events": [],
        "anchor": "waiting",
        "delay_minutes": 5,
    }
    assert api.post("/api/v1/rules", timed).status_code == 201
    for bad, word in [
        ({**timed, "anchor": "lunch"}, "counted"),
        ({**timed, "delay_minutes": 0}, "minutes"),
        ({**URGENT_TAG, "events": ["nap"]}, "event"),
        ({**URGENT_TAG, "actions": [{"type": "explode"}]}, "explode"),
        ({**URGENT_TAG, "conditions": {"items": [{"field": "x", "op": "in", "value": [1]}]}}, "x"),
    ]:
        answer = api.post("/api/v1/rules", bad)
        assert answer.status_code == 422 and word in answer.json()["detail"], answer.content


@pytest.mark.django_db
def test_webhook_secrets_are_never_shown_and_kept_on_update(api):
    hook = {
        **URGENT_TAG,
        "actions": [{"type": "webhook", "url": "https://hooks.example/x", "secret": "abc"}],
    }
    rule = api.post("/api/v1/rules", hook).json()
    assert rule["actions"][0]["secret"] is True
    again = api.put(
        f"/api/v1/rules/{rule['id']}", {**hook, "actions": [{**hook["actions"][0], "secret": True}]}
    )
    assert again.status_code == 200
    stored = Rule.objects.get(pk=rule["id"]).actions[0]["secret"]
    from sahayak import crypto

    assert crypto.decrypt(stored) == "abc"


@pytest.mark.django_db
def test_dry_run_runs_and_catalogue(api):
    rule = api.post("/api/v1/rules", URGENT_TAG).json()
    hit, miss = ConversationFactory(priority="urgent"), ConversationFactory()
    rows = {r["conversation_id"]: r for r in api.post(f"/api/v1/rules/{rule['id']}/dry-run").json()}
    assert rows[hit.pk]["matched"] and not rows[miss.pk]["matched"]
    assert rows[hit.pk]["would"] and rows[miss.pk]["conditions"][0]["seen"] == "normal"
    engine.run_rules(
        [Rule.objects.get(pk=rule["id"])],
        Facts(hit, now=hit.created_at),
        trigger="priority",
        key="k",
    )
    page = api.get(f"/api/v1/rules/{rule['id']}/runs").json()
    assert [r["conversation_id"] for r in page["items"]] == [hit.pk]
    assert (
        api.get(f"/api/v1/conversations/{hit.pk}/rule-runs").json()["items"][0]["rule_id"]
        == rule["id"]
    )
    catalogue = api.get("/api/v1/rules/catalogue").json()
    assert "orders" in catalogue["fields"] and "webhook" in catalogue["actions"]


@pytest.mark.django_db
def test_agents_may_not_manage_rules_nor_read_runs_of_hidden_conversations(
    api, outsider, private_team
):
    rule = api.post("/api/v1/rules", URGENT_TAG).json()
    agent = client_for(outsider)
    assert agent.get("/api/v1/rules").status_code == 403
    assert agent.post("/api/v1/rules", URGENT_TAG).status_code == 403
    assert agent.post(f"/api/v1/rules/{rule['id']}/dry-run").status_code == 403
    hidden = ConversationFactory(team=private_team)
    assert agent.get(f"/api/v1/conversations/{hidden.pk}/rule-runs").status_code == 404
