"""Macros over the API: create, apply (all or nothing), and permission checks."""

from __future__ import annotations

from tests.conftest import client_for
from tests.factories import ConversationFactory

SOLVE = {
    "name": "Tag and solve",
    "shared": True,
    "actions": [
        {"type": "add_tags", "value": ["billing"]},
        {"type": "status", "value": "solved"},
    ],
}


def test_create_list_and_apply(api):
    made = api.post("/api/v1/macros", SOLVE)
    assert made.status_code == 201, made.content
    macro = made.json()
    assert [m["id"] for m in api.get("/api/v1/macros").json()] == [macro["id"]]
    conversation = ConversationFactory()
    done = api.post(f"/api/v1/macros/{macro['id']}/apply/{conversation.pk}", {})
    assert done.json() == {"done": ["add_tags", "status"]}
    conversation.refresh_from_db()
    assert conversation.status == "solved"
    assert api.get(f"/api/v1/macros/{macro['id']}").json()["usage_count"] == 1


def test_invalid_actions_are_clear_errors(api):
    bad = {**SOLVE, "actions": [{"type": "status", "value": "vanished"}]}
    answer = api.post("/api/v1/macros", bad)
    assert answer.status_code == 422 and "status" in answer.json()["detail"]


def test_agents_cannot_share_or_change_shared_macros_or_use_hidden_conversations(
    api, outsider, private_team
):
    shared = api.post("/api/v1/macros", SOLVE).json()
    agent = client_for(outsider)
    assert agent.post("/api/v1/macros", SOLVE).status_code == 403
    assert agent.put(f"/api/v1/macros/{shared['id']}", SOLVE).status_code == 403
    hidden = ConversationFactory(team=private_team)
    assert agent.post(f"/api/v1/macros/{shared['id']}/apply/{hidden.pk}", {}).status_code == 404
    hidden.refresh_from_db()
    assert hidden.status != "solved"
