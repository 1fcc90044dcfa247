"""Canned replies over the API: create, search, get one ready for a conversation, and the
permission checks on each."""

from __future__ import annotations

from tests.conftest import client_for
from tests.factories import ContactFactory, ConversationFactory, UserFactory

REFUND = {
    "title": "Refund policy",
    "shortcut": "/ref",
    "shared": True,
    "default_language": "en",
    "texts": [
        {"language": "en", "body": "Hello {{ customer.first_name }}"},
        {"language": "el", "body": "Γεια σας {{ customer.first_name }}"},
    ],
}


def test_create_search_and_use_for_a_greek_customer(api, admin):
    made = api.post("/api/v1/canned-replies", REFUND)
    assert made.status_code == 201, made.content
    reply = made.json()
    assert reply["shared"] and reply["shortcut"] == "ref"
    assert [r["id"] for r in api.get("/api/v1/canned-replies?q=ref").json()] == [reply["id"]]
    conversation = ConversationFactory(contact=ContactFactory(name="Νίκος Παππάς", locale="el"))
    ready = api.get(f"/api/v1/canned-replies/{reply['id']}/for/{conversation.pk}?use=true").json()
    assert ready == {
        "text": "Γεια σας Νίκος",
        "language": "el",
        "customer_language": "el",
        "note": "",
        "missing": [],
    }
    assert api.get(f"/api/v1/canned-replies/{reply['id']}").json()["usage_count"] == 1


def test_bad_placeholders_and_duplicate_languages_are_clear_errors(api):
    bad = {**REFUND, "texts": [{"language": "en", "body": "{{ settings.DEBUG }}"}]}
    answer = api.post("/api/v1/canned-replies", bad)
    assert answer.status_code == 422 and "placeholder" in answer.json()["detail"]
    twice = {**REFUND, "texts": [REFUND["texts"][0], REFUND["texts"][0]]}
    assert api.post("/api/v1/canned-replies", twice).status_code == 422


def test_agents_keep_their_own_and_cannot_share_or_change_shared_ones(api, outsider):
    shared = api.post("/api/v1/canned-replies", REFUND).json()
    agent = client_for(outsider)
    assert agent.post("/api/v1/canned-replies", REFUND).status_code == 403
    own = agent.post("/api/v1/canned-replies", {**REFUND, "shared": False})
    assert own.status_code == 201
    assert agent.put(f"/api/v1/canned-replies/{shared['id']}", REFUND).status_code == 403
    assert agent.delete(f"/api/v1/canned-replies/{shared['id']}").status_code == 403
    # Another agent's own reply does not exist for anyone else.
    stranger = client_for(UserFactory())
    assert stranger.get(f"/api/v1/canned-replies/{own.json()['id']}").status_code == 404
    assert agent.delete(f"/api/v1/canned-replies/{own.json()['id']}").status_code == 204


def test_a_conversation_the_agent_may_not_see_is_not_found(api, outsider, private_team):
    reply = api.post("/api/v1/canned-replies", REFUND).json()
    hidden = ConversationFactory(team=private_team)
    answer = client_for(outsider).get(f"/api/v1/canned-replies/{reply['id']}/for/{hidden.pk}")
    assert answer.status_code == 404
