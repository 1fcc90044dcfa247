"""What the public help center shows: published, public articles in a reader's language.

An article missing in the reader's language is shown in the default language (flagged as a
fallback) rather than hidden, so every locale's help center lists every public article.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, QuerySet
from django.utils.translation import get_language_from_request

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


def public_translations() -> QuerySet[ArticleTranslation]:
    return ArticleTranslation.objects.filter(
        status=ArticleStatus.PUBLISHED, article__visibility=Visibility.PUBLIC
    )


@dataclass(frozen=True)
class Listed:
    """An article as listed for a locale: its best translation and whether it is a fallback."""

    translation: ArticleTranslation
    fallback: bool


def listed(articles: QuerySet[Article], locale: str, limit: int | None = None) -> list[Listed]:
    """The given articles in ``locale`` (or the default locale), in the articles' order."""
    wanted = {locale, default_locale()}
    ids = list(articles.filter(visibility=Visibility.PUBLIC).values_list("id", flat=True))
    if limit is not None:
        ids = ids[: limit * 3]
    best: dict[int, ArticleTranslation] = {}
    for t in public_translations().filter(article_id__in=ids, locale__in=wanted):
        if t.article_id not in best or t.locale == locale:
            best[t.article_id] = t
    found = [Listed(best[i], best[i].locale != locale) for i in ids if i in best]
    return found[:limit] if limit is not None else found


def categories() -> list[Category]:
    return list(Category.objects.prefetch_related("sections"))


def section_articles(section: Section) -> QuerySet[Article]:
    return section.articles.order_by("position", "id")


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
