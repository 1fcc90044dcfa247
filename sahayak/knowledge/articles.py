"""Writing articles: translations, versions, publishing, restoring, links to conversations.

Every change to a translation goes through :func:`save_translation`, which renders the
Markdown, writes a version and updates the search index in the same transaction.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cache
from typing import Any

import nh3
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt

from sahayak.accounts.models import User
from sahayak.conversations.models import Conversation

from . import search
from .models import (
    Article,
    ArticleLink,
    ArticleStatus,
    ArticleTranslation,
    ArticleVersion,
    Section,
    Visibility,
)

_TAGS = nh3.ALLOWED_TAGS | {"img", "figure", "figcaption"}
_ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "img": {"src", "alt", "title", "width", "height"},
    "a": {"href", "title"},
    "td": {"align"},
    "th": {"align"},
}


class ArticleError(ValueError):
    """The change cannot be made as asked (the message says why, for the author)."""


@cache
def _markdown() -> MarkdownIt:
    # Raw HTML in the source is shown as text; links become links.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(source: str) -> str:
    """Sanitized HTML of an article's Markdown."""
    return nh3.clean(
        _markdown().render(source),
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        link_rel="noopener noreferrer",
    )


def supported_locales() -> list[str]:
    return list(settings.SAHAYAK_KB_LOCALES)


def check_locale(locale: str) -> str:
    locale = (locale or "").strip().lower()
    if locale not in settings.SAHAYAK_KB_LOCALES:
        raise ArticleError(
            _("Unknown language %(locale)s; use one of %(locales)s.")
            % {"locale": locale, "locales": ", ".join(settings.SAHAYAK_KB_LOCALES)}
        )
    return locale


@dataclass
class TranslationInput:
    locale: str
    title: str
    body: str = ""
    summary: str = ""
    status: str | None = None


def create_article(
    *,
    author: User | None,
    translations: list[TranslationInput],
    section: Section | None = None,
    visibility: str = Visibility.PUBLIC,
    tags: list[str] | None = None,
    video_url: str = "",
) -> Article:
    if not translations:
        raise ArticleError(_("An article needs at least one translation."))
    if visibility not in Visibility.values:
        raise ArticleError(_("Unknown visibility."))
    with transaction.atomic():
        article = Article.objects.create(
            section=section,
            visibility=visibility,
            tags=normalize_tags(tags or []),
            video_url=video_url,
            created_by=author,
        )
        for item in translations:
            save_translation(article=article, data=item, author=author)
    return article


def normalize_tags(tags: list[str]) -> list[str]:
    return sorted({t.strip().lower()[:64] for t in tags if t and t.strip()})


def update_article(
    *,
    article: Article,
    author: User | None,
    section: Section | None | object = ...,
    visibility: str | None = None,
    tags: list[str] | None = None,
    video_url: str | None = None,
) -> Article:
    """Change what all translations share; the index follows (tags are searchable)."""
    if visibility is not None:
        if visibility not in Visibility.values:
            raise ArticleError(_("Unknown visibility."))
        article.visibility = visibility
    if tags is not None:
        article.tags = normalize_tags(tags)
    if video_url is not None:
        article.video_url = video_url
    if section is not ...:
        article.section = section  # type: ignore[assignment]
    with transaction.atomic():
        article.save()
        search.index_translations(article.translations.select_related("article"))
    return article


def save_translation(
    *,
    article: Article,
    data: TranslationInput,
    author: User | None,
    note: str = "",
) -> ArticleTranslation:
    """Create or change the ``data.locale`` translation of ``article`` and record a version.

    Nothing is written when nothing changed (saving twice makes one version).
    """
    locale = check_locale(data.locale)
    title = data.title.strip()
    if not title:
        raise ArticleError(_("A title is required."))
    status = data.status
    if status is not None and status not in ArticleStatus.values:
        raise ArticleError(_("Unknown status."))
    with transaction.atomic():
        translation = (
            ArticleTranslation.objects.select_for_update()
            .filter(article=article, locale=locale)
            .first()
        )
        if translation is None:
            translation = ArticleTranslation(article=article, locale=locale)
            translation.status = status or ArticleStatus.DRAFT
        elif (
            translation.title == title
            and translation.body == data.body
            and translation.summary == data.summary
            and (status is None or status == translation.status)
        ):
            return translation
        elif status is not None:
            translation.status = status
        translation.title = title[:300]
        translation.body = data.body
        translation.summary = data.summary[:300]
        translation.body_html = render_markdown(data.body)
        translation.slug = slugify(title, allow_unicode=True)[:120] or "article"
        translation.updated_by = author
        if translation.status == ArticleStatus.PUBLISHED and translation.published_at is None:
            translation.published_at = timezone.now()
        translation.save()
        _record_version(translation, author, note)
        search.index_translations([translation])
    return translation


def set_status(
    *, translation: ArticleTranslation, status: str, author: User | None
) -> ArticleTranslation:
    return save_translation(
        article=translation.article,
        data=TranslationInput(
            locale=translation.locale,
            title=translation.title,
            body=translation.body,
            summary=translation.summary,
            status=status,
        ),
        author=author,
        note=str(ArticleStatus(status).label),
    )


def publish(*, article: Article, author: User | None, locales: list[str] | None = None) -> int:
    """Publish the article's translations (all, or those in ``locales``); returns how many."""
    count = 0
    qs = article.translations.exclude(status=ArticleStatus.PUBLISHED)
    if locales:
        qs = qs.filter(locale__in=locales)
    for translation in qs:
        set_status(translation=translation, status=ArticleStatus.PUBLISHED, author=author)
        count += 1
    return count


def _record_version(translation: ArticleTranslation, author: User | None, note: str) -> None:
    last = translation.versions.aggregate(n=Max("number"))["n"] or 0
    ArticleVersion.objects.create(
        translation=translation,
        number=last + 1,
        title=translation.title,
        body=translation.body,
        summary=translation.summary,
        status=translation.status,
        author=author,
        note=note[:200],
    )


def restore_version(*, version: ArticleVersion, author: User | None) -> ArticleTranslation:
    """Bring back an old version's text as a new version (history is never rewritten)."""
    translation = version.translation
    return save_translation(
        article=translation.article,
        data=TranslationInput(
            locale=translation.locale,
            title=version.title,
            body=version.body,
            summary=version.summary,
        ),
        author=author,
        note=_("Restored version %(number)s") % {"number": version.number},
    )


def diff_versions(old: ArticleVersion | None, new: ArticleVersion) -> list[dict[str, Any]]:
    """Line changes from ``old`` to ``new`` as rows for a template: (kind, text)."""
    before = f"# {old.title}\n\n{old.body}" if old else ""
    after = f"# {new.title}\n\n{new.body}"
    rows = []
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "added", "-": "removed", "@": "hunk"}.get(line[:1], "same")
        rows.append({"kind": kind, "text": line[1:] if kind != "hunk" else line})
    return rows


def link_conversation(
    *,
    article: Article,
    conversation: Conversation,
    user: User | None,
    locale: str = "",
    source: str = "agent",
) -> ArticleLink:
    link, _created = ArticleLink.objects.get_or_create(
        article=article,
        conversation=conversation,
        defaults={"linked_by": user, "locale": locale, "source": source},
    )
    return link


def draft_from_reply(*, text: str, title: str, locale: str, author: User | None) -> Article:
    """A new draft article whose text is an agent's reply (to be edited before publishing)."""
    locale = locale if locale in settings.SAHAYAK_KB_LOCALES else settings.SAHAYAK_KB_DEFAULT_LOCALE
    return create_article(
        author=author,
        translations=[
            TranslationInput(
                locale=locale,
                title=title.strip() or _("New article"),
                body=text,
                status=ArticleStatus.DRAFT,
            )
        ],
        visibility=Visibility.PUBLIC,
    )


def linked_to(conversation: Conversation, locale: str) -> list[ArticleTranslation]:
    """The articles used on ``conversation``, each in ``locale`` if it has that translation."""
    links = ArticleLink.objects.filter(conversation=conversation).order_by("id")
    article_ids = list(links.values_list("article_id", flat=True)[:50])
    best: dict[int, ArticleTranslation] = {}
    for t in ArticleTranslation.objects.filter(article_id__in=article_ids).order_by("id"):
        if t.article_id not in best or t.locale == locale:
            best[t.article_id] = t
    return [best[i] for i in article_ids if i in best]
