"""The knowledge base in the workspace: articles suggested in the customer's language next
to the reply box, used articles linked both ways, the editor with versions, diff and
restore, file uploads, and drafts made of replies."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sahayak.knowledge.articles import update_article
from sahayak.knowledge.models import Article, ArticleLink, ArticleVersion
from tests.factories import ContactFactory, ConversationFactory, MessageFactory, make_article

from .conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def parcel() -> Any:
    en = make_article("Track your parcel", "Open Orders, then Track.")
    make_article(
        "Suivre votre colis", "Ouvrez Commandes, puis Suivre.", locale="fr", article=en.article
    )
    make_article("Carrier escalation", "Call the depot about a lost parcel.", visibility="internal")
    return en.article


def test_reply_box_suggests_articles_in_the_customers_language(
    web: Any, parcel: Any, django_assert_max_num_queries: Any
) -> None:
    conversation = ConversationFactory(
        contact=ContactFactory(locale="fr"), subject="Mon colis", language="fr"
    )
    MessageFactory(conversation=conversation, text="Où est mon colis ? Je voudrais le suivre.")
    with django_assert_max_num_queries(12):
        html = web.get(f"/c/{conversation.pk}/articles/").content.decode()
    assert "<mark>Suivre</mark> votre <mark>colis</mark>" in html
    assert "Track your parcel" not in html
    assert 'data-insert="http://testserver/help/fr/articles/' in html
    # Agents also get internal articles (without a public link to insert).
    html = web.get(f"/c/{conversation.pk}/articles/", {"q": "lost parcel"}).content.decode()
    assert "Carrier escalation" in html and "internal" in html


def test_using_an_article_links_it_both_ways(
    web: Any, parcel: Any, outsider: Any, private_team: Any
) -> None:
    conversation = ConversationFactory(subject="Where is my parcel")
    response = web.post(f"/c/{conversation.pk}/articles/{parcel.pk}/link/", {"locale": "en"})
    assert response.status_code == 200
    web.post(f"/c/{conversation.pk}/articles/{parcel.pk}/link/")  # twice: one link
    assert ArticleLink.objects.get().conversation_id == conversation.pk
    assert "Track your parcel" in web.get(f"/c/{conversation.pk}/side/").content.decode()
    page = web.get(f"/kb/{parcel.pk}/").content.decode()
    assert f"#{conversation.pk}" in page and "Where is my parcel" in page

    hidden = ConversationFactory(team=private_team, subject="VIP parcel")
    assert signed_in(outsider).post(f"/c/{hidden.pk}/articles/{parcel.pk}/link/").status_code == 404
    web.post(f"/c/{hidden.pk}/articles/{parcel.pk}/link/")
    # The article page lists only conversations the viewer may see.
    assert "VIP parcel" not in signed_in(outsider).get(f"/kb/{parcel.pk}/").content.decode()


def test_editing_keeps_versions_with_diff_and_restore(web: Any, parcel: Any) -> None:
    url = f"/kb/{parcel.pk}/?locale=en"
    form = {
        "locale": "en",
        "title": "Track your parcel",
        "body": "Open Orders, then Track.\n\nTracking starts a day after shipping.",
        "status": "published",
        "visibility": "public",
        "tags": "shipping, Tracking",
    }
    assert web.post(url, form).status_code == 302
    versions = ArticleVersion.objects.filter(translation__article=parcel, translation__locale="en")
    assert list(versions.values_list("number", flat=True)) == [2, 1]
    newest = versions.first()
    diff = web.get(f"/kb/{parcel.pk}/versions/{newest.pk}/").content.decode()
    assert "+ Tracking starts a day after shipping." in diff
    parcel.refresh_from_db()
    assert parcel.tags == ["shipping", "tracking"]

    first = versions.last()
    assert web.post(f"/kb/{parcel.pk}/versions/{first.pk}/restore/").status_code == 302
    t = parcel.translations.get(locale="en")
    assert t.body == "Open Orders, then Track." and versions.count() == 3
    assert versions.first().note == "Restored version 1"


def test_a_reply_becomes_a_draft_article(web: Any, admin: Any) -> None:
    conversation = ConversationFactory(subject="Change delivery address", language="hi")
    reply = MessageFactory(
        conversation=conversation, direction="out", text="Go to Orders, then Change address."
    )
    response = web.post(f"/c/{conversation.pk}/m/{reply.pk}/to-article/")
    article = Article.objects.get()
    assert response["Location"] == f"/kb/{article.pk}/"
    t = article.translations.get()
    assert (t.locale, t.title, t.status) == ("hi", "Change delivery address", "draft")
    assert article.links.get().conversation_id == conversation.pk
    inbound = MessageFactory(conversation=conversation, direction="in", text="thanks")
    assert web.post(f"/c/{conversation.pk}/m/{inbound.pk}/to-article/").status_code == 404


def test_uploads_are_checked(web: Any, parcel: Any) -> None:
    png = SimpleUploadedFile("map.png", b"\x89PNG\r\n\x1a\nxxxx", content_type="image/png")
    response = web.post(f"/kb/{parcel.pk}/files/", {"file": png, "locale": "en"}, follow=True)
    assert "![map.png](/help/files/" in response.content.decode()
    f = parcel.files.get()
    assert web.get(f"/help/files/{f.pk}/map.png")["Content-Type"] == "image/png"
    exe = SimpleUploadedFile("run.exe", b"MZ", content_type="application/x-msdownload")
    response = web.post(f"/kb/{parcel.pk}/files/", {"file": exe}, follow=True)
    assert "cannot be attached" in response.content.decode()
    assert parcel.files.count() == 1


def test_article_list_and_search(web: Any, parcel: Any) -> None:
    make_article("Brouillon secret", "", locale="fr", status="draft")
    html = web.get("/kb/").content.decode()
    assert "Track your parcel" in html and "Brouillon secret" in html
    html = web.get("/kb/", {"q": "brouillon"}).content.decode()
    assert "<mark>Brouillon</mark> secret" in html and "Track your parcel" not in html
    html = web.get("/kb/", {"status": "draft"}).content.decode()
    assert "Brouillon secret" in html and "Track your parcel" not in html


def test_workspace_search_finds_messages_the_agent_may_see(
    web: Any, outsider: Any, private_team: Any
) -> None:
    from sahayak.knowledge import search

    open_one = ConversationFactory(subject="Λάθος μέγεθος")
    hidden = ConversationFactory(subject="VIP order", team=private_team)
    for conv, text in ((open_one, "Το μέγεθος είναι λάθος"), (hidden, "μέγεθος VIP")):
        search.index_messages([MessageFactory(conversation=conv, text=text)])
    html = web.get("/search/", {"q": "μεγεθος"}).content.decode()
    assert "Λάθος μέγεθος" in html and "VIP order" in html
    assert "<mark>μέγεθος</mark>" in html
    html = signed_in(outsider).get("/search/", {"q": "μεγεθος"}).content.decode()
    assert "Λάθος μέγεθος" in html and "VIP order" not in html


def test_editor_refuses_bad_input_with_a_message(web: Any, parcel: Any) -> None:
    response = web.post("/kb/new/", {"locale": "xx", "title": "T"}, follow=True)
    assert "Unknown language xx" in response.content.decode()
    response = web.post("/kb/new/", {"locale": "en", "title": "  "}, follow=True)
    assert "A title is required." in response.content.decode()
    update_article(article=parcel, author=None, tags=["shipping"])
    response = web.post(f"/kb/{parcel.pk}/?locale=en", {"locale": "en", "title": ""}, follow=True)
    assert "A title is required." in response.content.decode()
    assert parcel.translations.get(locale="en").title == "Track your parcel"
    parcel.refresh_from_db()
    assert parcel.tags == ["shipping"]  # nothing of a refused save is kept
    assert web.get("/kb/", {"cursor": "not-a-cursor"}).status_code == 200
    assert web.post(f"/kb/{parcel.pk}/files/", {}, follow=True).status_code == 200
