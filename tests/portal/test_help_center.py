"""The public help center: pages per locale, SEO links, fallbacks, feedback, suggestions
and deflection, as a search engine and a customer's browser see them."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.test import Client

from sahayak.knowledge.articles import update_article
from sahayak.knowledge.models import Category, Section, SelfServiceEvent
from sahayak.portal.session import SESSION_KEY
from tests.factories import ContactFactory, InboxFactory, make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def refund(db: Any) -> Any:
    """An article published in English and French, drafted in Hindi."""
    cat = Category.objects.create(names={"en": "Billing", "fr": "Facturation"}, slug="billing")
    section = Section.objects.create(category=cat, names={"en": "Refunds"}, slug="refunds")
    en = make_article("Refund policy", "Money back within **14 days**.", section=section)
    make_article(
        "Politique de remboursement", "Remboursé sous 14 jours.", locale="fr", article=en.article
    )
    make_article("रिफ़ंड नीति", "14 दिन", locale="hi", status="draft", article=en.article)
    return en.article


def links(html: str, rel: str) -> dict[str, str]:
    found = {}
    for tag in re.findall(r"<link [^>]*>", html):
        if f'rel="{rel}"' in tag:
            key = re.search(r'hreflang="([^"]+)"', tag)
            found[key.group(1) if key else rel] = re.search(r'href="([^"]+)"', tag).group(1)
    return found


def test_article_page_has_hreflang_alternates_and_canonical(client: Client, refund: Any) -> None:
    response = client.get(f"/help/fr/articles/{refund.pk}-politique-de-remboursement/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Politique de remboursement</h1>" in html
    alternates = links(html, "alternate")
    assert set(alternates) == {"en", "fr", "x-default"}  # the Hindi draft is not offered
    assert alternates["en"] == f"http://testserver/help/en/articles/{refund.pk}-refund-policy/"
    assert alternates["x-default"] == alternates["en"]
    assert links(html, "canonical")["canonical"] == (
        f"http://testserver/help/fr/articles/{refund.pk}-politique-de-remboursement/"
    )
    assert '<meta name="description" content="Remboursé sous 14 jours.">' in html
    data = json.loads(
        re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S).group(1)
    )
    assert data[0]["@type"] == "Article" and data[0]["inLanguage"] == "fr"
    assert [c["name"] for c in data[1]["itemListElement"]] == [
        "Centre d'aide",  # the default title, in the reader's language
        "Facturation",
        "Politique de remboursement",
    ]


def test_wrong_slug_redirects_to_the_canonical_address(client: Client, refund: Any) -> None:
    response = client.get(f"/help/en/articles/{refund.pk}-old-name/")
    assert response.status_code == 301
    assert response["Location"] == f"/help/en/articles/{refund.pk}-refund-policy/"


def test_missing_translation_falls_back_with_a_notice(client: Client, refund: Any) -> None:
    response = client.get(f"/help/el/articles/{refund.pk}-refund-policy/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Refund policy</h1>" in html
    assert 'class="notice"' in html
    assert "Αγγλικά" in html  # the notice, in the reader's (Greek) interface language
    # Search engines are sent to the original.
    assert links(html, "canonical")["canonical"].endswith(
        f"/help/en/articles/{refund.pk}-refund-policy/"
    )
    assert "<strong>14 days</strong>" in html


def test_customer_with_locale_fr_is_served_french(client: Client, refund: Any) -> None:
    customer = ContactFactory(locale="fr")
    session = client.session
    session[SESSION_KEY] = customer.pk
    session.save()
    response = client.get(f"/help/articles/{refund.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert response["Location"] == f"/help/fr/articles/{refund.pk}-politique-de-remboursement/"
    assert client.get("/help/", HTTP_ACCEPT_LANGUAGE="en")["Location"] == "/help/fr/"


def test_browser_language_picks_the_help_center(client: Client, refund: Any) -> None:
    assert client.get("/help/", HTTP_ACCEPT_LANGUAGE="bn-IN,bn;q=0.9")["Location"] == "/help/bn/"
    assert client.get("/help/", HTTP_ACCEPT_LANGUAGE="de-DE")["Location"] == "/help/en/"
    assert client.get("/help/xx/").status_code == 404


def test_sitemap_lists_every_published_public_translation(client: Client, refund: Any) -> None:
    internal = make_article("Escalation runbook", "", visibility="internal")
    make_article("Unfinished", "", status="draft")
    response = client.get("/help/sitemap.xml")
    assert response["Content-Type"].startswith("application/xml")
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}
    root = ET.fromstring(response.content)  # noqa: S314 - our own page
    locs = [u.findtext("s:loc", namespaces=ns) for u in root.findall("s:url", ns)]
    articles = sorted(loc for loc in locs if "/articles/" in loc)
    assert articles == [
        f"http://testserver/help/en/articles/{refund.pk}-refund-policy/",
        f"http://testserver/help/fr/articles/{refund.pk}-politique-de-remboursement/",
    ]
    assert not any(f"/{internal.article_id}-" in loc for loc in locs)
    first = next(
        u for u in root.findall("s:url", ns) if "/articles/" in u.findtext("s:loc", namespaces=ns)
    )
    assert {a.get("hreflang") for a in first.findall("x:link", ns)} == {"en", "fr"}
    assert (
        "Sitemap: http://testserver/help/sitemap.xml" in client.get("/robots.txt").content.decode()
    )


def test_home_and_category_list_articles_in_the_locale(client: Client, refund: Any) -> None:
    html = client.get("/help/fr/").content.decode()
    assert "Facturation" in html and "Politique de remboursement" in html
    html = client.get("/help/hi/").content.decode()
    assert "Refund policy" in html  # fallback: the Hindi text is only a draft
    cat = refund.section.category
    html = client.get(f"/help/en/categories/{cat.pk}-{cat.slug}/").content.decode()
    assert "Refunds" in html and "Refund policy" in html


def test_internal_and_draft_articles_are_not_public(client: Client) -> None:
    internal = make_article("Internal runbook", "secret steps", visibility="internal")
    draft = make_article("Coming soon", "", status="draft")
    for t in (internal, draft):
        assert client.get(f"/help/en/articles/{t.article_id}-{t.slug}/").status_code == 404
    html = client.get("/help/en/search", {"q": "runbook"}).content.decode()
    assert "Internal runbook" not in html and "Nothing found" in html


def test_search_page_highlights_and_offers_other_languages(client: Client, refund: Any) -> None:
    html = client.get("/help/fr/search", {"q": "rembourse"}).content.decode()
    assert "<mark>remboursement</mark>" in html
    assert 'name="robots" content="noindex"' in html
    html = client.get("/help/bn/search", {"q": "refund"}).content.decode()
    assert "<mark>Refund</mark> policy" in html  # not in Bengali: shown from other languages


def test_feedback_is_counted(client: Client, refund: Any) -> None:
    url = f"/help/en/articles/{refund.pk}/feedback"
    response = client.post(url, {"helpful": "no", "comment": "Which bank account?"})
    assert response.status_code == 302 and "feedback=thanks" in response["Location"]
    translation = refund.translations.get(locale="en")
    translation.refresh_from_db()
    assert (translation.helpful_yes, translation.helpful_no) == (0, 1)
    assert translation.feedback.get().comment == "Which bank account?"
    assert client.post(url, {"helpful": "maybe"}).status_code == 400


def test_related_articles(client: Client, refund: Any) -> None:
    make_article("Refund for a cancelled order", "", section=refund.section)
    html = client.get(f"/help/en/articles/{refund.pk}-refund-policy/").content.decode()
    assert "Related articles" in html and "Refund for a cancelled order" in html


def test_video_is_embedded_privately(client: Client, refund: Any) -> None:
    update_article(
        article=refund, author=None, video_url="https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    )
    html = client.get(f"/help/en/articles/{refund.pk}-refund-policy/").content.decode()
    assert 'src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"' in html


def test_hostile_markdown_is_sanitized(client: Client) -> None:
    t = make_article(
        "XSS", "<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    )
    html = client.get(f"/help/en/articles/{t.article_id}-{t.slug}/").content.decode()
    body = html.split('<div class="body">')[1].split("</div>")[0]
    tags = re.findall(r"<[a-zA-Z][^>]*>", body)
    assert tags == ["<p>"]  # everything else is shown as text, escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_suggestions_and_deflection(client: Client, refund: Any) -> None:
    data = client.get("/help/en/suggest", {"q": "how do I get a refund"}).json()
    assert [a["title"] for a in data["articles"]] == ["Refund policy"]
    assert (
        client.get("/help/fr/suggest", {"q": "remboursement"}).json()["articles"][0]["locale"]
        == "fr"
    )

    session = "s" * 24
    url = data["articles"][0]["url"]
    client.get(url, {"ref": "suggest", "s": session, "channel": "webform", "q": "refund"})
    event = SelfServiceEvent.objects.get(session=session)
    assert event.kind == "suggested_view" and event.query == "refund"
    assert client.post(f"/help/en/articles/{refund.pk}/left", {"s": session}).status_code == 204
    event.refresh_from_db()
    assert event.kind == "deflected"


def test_sending_the_form_after_reading_is_not_a_deflection(client: Client, refund: Any) -> None:
    inbox = InboxFactory(channel="webform")
    page = client.get(f"/form/{inbox.public_key}/").content.decode()
    assert "/help/en/suggest" in page
    session = re.search(r'name="submission" value="([^"]+)"', page).group(1)
    client.get(f"/help/en/articles/{refund.pk}-refund-policy/", {"ref": "suggest", "s": session})
    client.post(f"/help/en/articles/{refund.pk}/left", {"s": session})
    response = client.post(
        f"/form/{inbox.public_key}/",
        {
            "name": "Asha",
            "email": "asha@mail.example",
            "subject": "Refund",
            "message": "Still no money",
            "submission": session,
        },
    )
    assert response.status_code == 200
    assert SelfServiceEvent.objects.get(session=session).kind == "submitted"


def test_home_page_queries_do_not_grow_with_sections(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    for n in range(4):
        cat = Category.objects.create(names={"en": f"Category {n}"}, slug=f"c{n}")
        for m in range(3):
            section = Section.objects.create(category=cat, names={"en": f"S{n}{m}"}, slug=f"s{m}")
            make_article(f"Article {n}{m}", "", section=section)
    with django_assert_max_num_queries(6):
        html = client.get("/help/en/").content.decode()
    assert html.count("Article ") == 12


def test_bad_input_to_public_endpoints_gets_clear_answers(client: Client, refund: Any) -> None:
    response = client.get("/help/xx/suggest", {"q": "refund"})
    assert response.status_code == 404 and "error" in response.json()
    assert client.get("/help/en/suggest", {"q": "re"}).json() == {"articles": []}
    assert client.get("/help/en/suggest", {"q": "é" * 5000}).status_code == 200
    # Beacons with a forged or missing session change nothing.
    assert client.post(f"/help/en/articles/{refund.pk}/left", {"s": "<script>"}).status_code == 204
    assert client.post("/help/en/asked", {}).status_code == 204
    assert not SelfServiceEvent.objects.exists()
    assert client.get("/help/en/search", {"q": "\x00" * 10}).status_code == 200
    assert client.get(f"/help/en/articles/{refund.pk}/feedback").status_code == 405
    assert client.get("/help/en/articles/999999-missing/").status_code == 404


@pytest.mark.parametrize("title", ["<!--<script>", "</script><b>x", "a & <b> 'q'"])
def test_a_hostile_title_cannot_break_the_structured_data_block(client: Client, title: str) -> None:
    t = make_article(title, "The body stays visible.")
    page = client.get(t.get_absolute_url()).content.decode()
    script = re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', page, re.S)
    assert script is not None and "<" not in script.group(1)
    assert json.loads(script.group(1))[0]["headline"] == title
    assert "The body stays visible." in page.split("</script>", 2)[-1]
