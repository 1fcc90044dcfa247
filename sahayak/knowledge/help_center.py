"""What the public help center shows: published, public articles in a reader's language.

An article missing in the reader's language is shown in the default language (flagged as a
fallback) rather than hidden, so every locale's help center lists every public article.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.utils.translation import get_language_from_request
from django.utils.translation import gettext as _

from sahayak.conversations.models import Conversation
from sahayak.conversations.text import html_to_text

from . import search
from .models import (
    Article,
    ArticleStatus,
    ArticleTranslation,
    Category,
    Feedback,
    Section,
    Visibility,
)


def default_locale() -> str:
    return str(settings.SAHAYAK_KB_DEFAULT_LOCALE)


def center_name() -> str:
    """The help center's title: the configured one, else "Help Center" translated."""
    return str(settings.SAHAYAK_HELP_CENTER_NAME or _("Help Center"))


def is_locale(value: str) -> bool:
    return value in settings.SAHAYAK_KB_LOCALES


def choose_locale(request: object, profile_locale: str = "") -> str:
    """The customer's profile language, else their browser's, else the default."""
    short = (profile_locale or "").split("-")[0].lower()
    if is_locale(short):
        return short
    browser = get_language_from_request(request, check_path=False)  # type: ignore[arg-type]
    short = (browser or "").split("-")[0].lower()
    return short if is_locale(short) else default_locale()


def conversation_locale(conversation: Conversation) -> str:
    """The language to answer a conversation in: its own, else the customer's, else the
    default."""
    for value in (conversation.language, conversation.contact.locale):
        short = (value or "").split("-")[0].lower()
        if is_locale(short):
            return short
    return default_locale()


def articles_in_language(
    query: str, locale: str, *, public_only: bool = True, limit: int = 5
) -> list[search.ArticleResult]:
    """Published articles answering ``query`` (any of its words) in ``locale``; when none
    is written in that language, those in the default language."""
    results = search.search_articles(
        query, locales=[locale], public_only=public_only, limit=limit, any_term=True
    )
    if not results and locale != default_locale():
        results = search.search_articles(
            query, locales=[default_locale()], public_only=public_only, limit=limit, any_term=True
        )
    return results


def public_translations() -> QuerySet[ArticleTranslation]:
    return ArticleTranslation.objects.filter(
        status=ArticleStatus.PUBLISHED, article__visibility=Visibility.PUBLIC
    )


@dataclass(frozen=True)
class Listed:
    """An article as listed for a locale: its best translation and whether it is a fallback."""

    translation: ArticleTranslation
    fallback: bool


def categories() -> list[Category]:
    return list(Category.objects.prefetch_related("sections"))


@dataclass(frozen=True)
class SectionListing:
    section: Section
    name: str
    articles: list[Listed]


def section_listings(sections: list[Section], locale: str, limit: int) -> list[SectionListing]:
    """The first ``limit`` public articles of each section in ``locale`` (or the default
    locale), in two queries whatever the number of sections."""
    # A few more candidates than shown: some may have no published translation.
    numbered = (
        Article.objects.filter(section__in=sections, visibility=Visibility.PUBLIC)
        .annotate(
            rank=Window(
                RowNumber(), partition_by=F("section_id"), order_by=[F("position"), F("id")]
            )
        )
        .filter(rank__lte=limit * 3)
        .order_by("section_id", "rank")
        .values_list("id", "section_id")
    )
    ids_by_section: dict[int, list[int]] = {}
    for article_id, section_id in numbered:
        ids_by_section.setdefault(section_id, []).append(article_id)
    all_ids = [i for ids in ids_by_section.values() for i in ids]
    best: dict[int, ArticleTranslation] = {}
    wanted = {locale, default_locale()}
    for t in public_translations().filter(article_id__in=all_ids, locale__in=wanted):
        if t.article_id not in best or t.locale == locale:
            best[t.article_id] = t
    return [
        SectionListing(
            section=section,
            name=section.name(locale),
            articles=[
                Listed(best[i], best[i].locale != locale)
                for i in ids_by_section.get(section.pk, [])
                if i in best
            ][:limit],
        )
        for section in sections
    ]


def find_article(article_id: int, locale: str) -> tuple[Article, ArticleTranslation, bool] | None:
    """A public article's translation for ``locale`` (or the fallback), or None."""
    article = (
        Article.objects.filter(pk=article_id, visibility=Visibility.PUBLIC)
        .select_related("section__category")
        .first()
    )
    if article is None:
        return None
    published = {t.locale: t for t in public_translations().filter(article=article)}
    translation = published.get(locale) or published.get(default_locale())
    if translation is None and published:
        translation = next(iter(published.values()))
    if translation is None:
        return None
    return article, translation, translation.locale != locale


def alternates(article: Article) -> list[ArticleTranslation]:
    """Every published translation of ``article`` (for hreflang links and the switcher)."""
    return list(public_translations().filter(article=article).order_by("locale"))


def related(translation: ArticleTranslation, limit: int = 5) -> list[ArticleTranslation]:
    """Articles on the same subject: search by this title, then the same section."""
    found = [
        r.translation
        for r in search.search_articles(
            translation.title, locales=[translation.locale], limit=limit + 1, any_term=True
        )
        if r.translation.article_id != translation.article_id
    ]
    section_id = translation.article.section_id
    if len(found) < limit and section_id:
        seen = {t.article_id for t in found} | {translation.article_id}
        more = public_translations().filter(
            article__section_id=section_id, locale=translation.locale
        )
        found += list(more.exclude(article_id__in=seen).order_by("article__position")[:limit])
    return found[:limit]


def sitemap_entries() -> Iterable[tuple[ArticleTranslation, list[ArticleTranslation]]]:
    """Every published public translation with its sibling translations, article by article."""
    by_article: dict[int, list[ArticleTranslation]] = {}
    rows = (
        public_translations()
        .order_by("article_id", "locale")
        .only("id", "article_id", "locale", "slug", "updated_at")
    )
    for t in rows.iterator(chunk_size=2000):
        by_article.setdefault(t.article_id, []).append(t)
    for group in by_article.values():
        for t in group:
            yield t, group


def description(translation: ArticleTranslation, length: int = 160) -> str:
    """A meta description: the summary, else the start of the text."""
    text = translation.summary or html_to_text(translation.body_html)
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rsplit(" ", 1)[0] + "…"


def record_feedback(translation: ArticleTranslation, helpful: bool, comment: str = "") -> None:
    Feedback.objects.create(translation=translation, helpful=helpful, comment=comment[:2000])
    field = "helpful_yes" if helpful else "helpful_no"
    ArticleTranslation.objects.filter(pk=translation.pk).update(**{field: F(field) + 1})
