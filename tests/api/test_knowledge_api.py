"""The knowledge base API: articles with translations, publishing, versions, links to
conversations, article search and message search with permissions."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlencode

import pytest

from sahayak.conversations.models import Message
from sahayak.knowledge import search
from tests.conftest import client_for
from tests.factories import ConversationFactory

pytestmark = pytest.mark.django_db


def qs(query: str) -> str:
    """A query string with non-ASCII values percent-encoded, as browsers send them."""
    return urlencode([tuple(pair.split("=", 1)) for pair in query.split("&")])


ARTICLE = {
    "visibility": "public",
    "tags": ["Billing", "refunds"],
    "translations": [
        {"locale": "en", "title": "Refund policy", "body": "Money back in **14 days**."},
        {
            "locale": "el",
            "title": "Πολιτική επιστροφής",
            "body": "Επιστροφή χρημάτων σε 14 ημέρες.",
        },
    ],
}


def test_create_publish_search(api: Any) -> None:
    response = api.post("/api/v1/kb/articles", ARTICLE)
    assert response.status_code == 201, response.content
    article = response.json()
    assert [t["status"] for t in article["translations"]] == ["draft", "draft"]
    assert article["tags"] == ["billing", "refunds"]
    en = next(t for t in article["translations"] if t["locale"] == "en")
    assert en["body_html"] == "<p>Money back in <strong>14 days</strong>.</p>\n"

    # Drafts are found only when asked for.
    assert api.get("/api/v1/kb/search?q=money").json() == []
    assert len(api.get("/api/v1/kb/search?q=money&include_drafts=true").json()) == 1
    # Tags are searchable in every translation.
    assert len(api.get("/api/v1/kb/search?q=refunds&include_drafts=true").json()) == 2

    published = api.post(f"/api/v1/kb/articles/{article['id']}/publish", {"locales": ["el"]}).json()
    assert {t["locale"]: t["status"] for t in published["translations"]} == {
        "el": "published",
        "en": "draft",
    }
    hits = api.get("/api/v1/kb/search?" + qs("q=επιστροφη&locale=el")).json()
    assert [h["title"] for h in hits] == ["Πολιτική επιστροφής"]
    assert hits[0]["title_html"] == "Πολιτική <mark>επιστροφής</mark>"
    assert unquote(hits[0]["url"]) == f"/help/el/articles/{article['id']}-πολιτική-επιστροφής/"
    # The Greek address is the page's own (no redirect loop on a non-Latin slug).
    assert api.client.get(hits[0]["url"]).status_code == 200


def test_update_adds_translations_and_keeps_versions(api: Any) -> None:
    article = api.post("/api/v1/kb/articles", ARTICLE).json()
    url = f"/api/v1/kb/articles/{article['id']}"
    response = api.patch(
        url,
        {
            "visibility": "internal",
            "translations": [
                {"locale": "en", "title": "Refund policy", "body": "Money back in 30 days."},
                {
                    "locale": "fr",
                    "title": "Remboursements",
                    "body": "Sous 30 jours.",
                    "status": "published",
                },
            ],
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["visibility"] == "internal"
    assert sorted(t["locale"] for t in body["translations"]) == ["el", "en", "fr"]
    versions = api.get(f"{url}/versions?locale=en").json()
    assert [(v["number"], v["body"]) for v in versions] == [
        (2, "Money back in 30 days."),
        (1, "Money back in **14 days**."),
    ]
    # Internal: agents find it, the public help center does not.
    assert len(api.get("/api/v1/kb/search?q=remboursements").json()) == 1
    assert api.get("/api/v1/kb/search?q=remboursements&include_internal=false").json() == []


def test_bad_input_gets_clear_errors(api: Any, anon_api: Any) -> None:
    bad_locale = {**ARTICLE, "translations": [{"locale": "xx", "title": "T"}]}
    response = api.post("/api/v1/kb/articles", bad_locale)
    assert response.status_code == 422 and "Unknown language xx" in response.json()["detail"]
    assert api.post("/api/v1/kb/articles", {**ARTICLE, "translations": []}).status_code == 422
    assert api.post("/api/v1/kb/articles", {**ARTICLE, "section_id": 999}).status_code == 422
    assert api.get("/api/v1/kb/articles/999").status_code == 404
    assert api.get("/api/v1/kb/search").status_code == 422
    assert anon_api.get("/api/v1/kb/articles").status_code == 401


def test_article_linked_to_conversation_needs_permission(
    api: Any, outsider: Any, private_team: Any
) -> None:
    article = api.post("/api/v1/kb/articles", ARTICLE).json()
    hidden = ConversationFactory(team=private_team)
    url = f"/api/v1/kb/articles/{article['id']}/conversations"
    assert client_for(outsider).post(url, {"conversation_id": hidden.pk}).status_code == 404
    assert api.post(url, {"conversation_id": hidden.pk}).status_code == 201
    assert api.post(url, {"conversation_id": hidden.pk}).status_code == 201  # idempotent
    assert list(hidden.articles.values_list("id", flat=True)) == [article["id"]]


def test_message_search_respects_permissions(api: Any, outsider: Any, private_team: Any) -> None:
    public, hidden = ConversationFactory(), ConversationFactory(team=private_team)
    for conv in (public, hidden):
        m = Message.objects.create(
            conversation=conv, direction="in", channel="api", text="আমার টিকিট বাতিল করুন"
        )
        search.index_messages([m])
    hits = api.get("/api/v1/search/messages?" + qs("q=টিকিট")).json()
    assert {h["conversation_id"] for h in hits} == {public.pk, hidden.pk}
    assert "<mark>টিকিট</mark>" in hits[0]["snippet_html"]
    hits = client_for(outsider).get("/api/v1/search/messages?" + qs("q=টিকিট")).json()
    assert {h["conversation_id"] for h in hits} == {public.pk}


def test_openapi_documents_the_knowledge_base(api: Any) -> None:
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/kb/articles", "/api/v1/kb/search", "/api/v1/search/messages"} <= set(paths)


def test_categories_and_sections(api: Any) -> None:
    response = api.post(
        "/api/v1/kb/categories",
        {"names": {"en": "Billing", "hi": "बिलिंग"}, "slug": "billing"},
    )
    assert response.status_code == 201, response.content
    category = response.json()
    response = api.post(
        f"/api/v1/kb/categories/{category['id']}/sections",
        {"names": {"fr": "Remboursements"}, "slug": "refunds"},
    )
    assert response.status_code == 201
    section = response.json()
    article = api.post("/api/v1/kb/articles", {**ARTICLE, "section_id": section["id"]}).json()
    assert article["section_id"] == section["id"]
    listed = api.get("/api/v1/kb/categories").json()
    assert listed[0]["names"]["hi"] == "बिलिंग" and listed[0]["sections"][0]["slug"] == "refunds"
    bad = api.post("/api/v1/kb/categories", {"names": {"xx": "?"}, "slug": "x"})
    assert bad.status_code == 422 and "xx" in bad.json()["detail"]
    assert api.post("/api/v1/kb/categories", {"names": {}, "slug": "x"}).status_code == 422
    assert (
        api.post("/api/v1/kb/categories", {"names": {"en": "A"}, "slug": "a b"}).status_code == 422
    )
    assert (
        api.post(
            "/api/v1/kb/categories/999/sections", {"names": {"en": "S"}, "slug": "s"}
        ).status_code
        == 404
    )
