"""Knowledge base API: articles with their translations, publishing, versions, links to
conversations, and search (articles for everyone, messages for agents)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Query, Router, Status
from ninja.errors import HttpError

from sahayak.api.auth import current_user
from sahayak.api.schemas import (
    ArticleHit,
    ArticleIn,
    ArticleLinkIn,
    ArticleOut,
    ArticlePage,
    ArticlePatch,
    CategoryIn,
    CategoryOut,
    Error,
    MessageHit,
    PublishIn,
    SectionIn,
    SectionOut,
    VersionOut,
)
from sahayak.conversations.models import Conversation
from sahayak.conversations.permissions import can_view_conversation
from sahayak.knowledge import articles, search
from sahayak.knowledge.models import (
    Article,
    ArticleTranslation,
    ArticleVersion,
    Category,
    Section,
)
from sahayak.pagination import keyset_page

router = Router(tags=["knowledge base"])
search_router = Router(tags=["search"])


def _translation_out(t: ArticleTranslation) -> dict[str, Any]:
    return {
        **{f: getattr(t, f) for f in TRANSLATION_FIELDS},
        "url": t.get_absolute_url(),
    }


TRANSLATION_FIELDS = (
    "id",
    "locale",
    "title",
    "body",
    "body_html",
    "summary",
    "slug",
    "status",
    "published_at",
    "updated_at",
    "helpful_yes",
    "helpful_no",
)


def _article_out(article: Article) -> dict[str, Any]:
    return {
        "id": article.pk,
        "section_id": article.section_id,
        "visibility": article.visibility,
        "tags": article.tags,
        "video_url": article.video_url,
        "created_at": article.created_at,
        "updated_at": article.updated_at,
        "translations": [
            _translation_out(t) for t in sorted(article.translations.all(), key=lambda t: t.locale)
        ],
    }


def _section(section_id: int | None) -> Section | None:
    if section_id is None:
        return None
    section = Section.objects.filter(pk=section_id).first()
    if section is None:
        raise HttpError(422, f"Section {section_id} does not exist.")
    return section


def _inputs(items: list[Any]) -> list[articles.TranslationInput]:
    return [articles.TranslationInput(**item.dict()) for item in items]


def _article(article_id: int) -> Article:
    return get_object_or_404(Article.objects.prefetch_related("translations"), pk=article_id)


def _check_locales(names: dict[str, str]) -> None:
    unknown = sorted(set(names) - set(articles.supported_locales()))
    if unknown:
        raise HttpError(422, f"Unknown language(s): {', '.join(unknown)}.")


def _category_out(category: Category) -> dict[str, Any]:
    return {
        "id": category.pk,
        "names": category.names,
        "descriptions": category.descriptions,
        "slug": category.slug,
        "position": category.position,
        "sections": list(category.sections.all()),
    }


@router.get("/categories", response=list[CategoryOut])
def list_categories(request: HttpRequest):
    """Every category with its sections (a help center has tens of them, not thousands)."""
    return [_category_out(c) for c in Category.objects.prefetch_related("sections")[:1000]]


@router.post("/categories", response={201: CategoryOut, 422: Error})
def create_category(request: HttpRequest, payload: CategoryIn):
    _check_locales(payload.names)
    _check_locales(payload.descriptions)
    category = Category.objects.create(**payload.dict())
    return Status(201, _category_out(category))


@router.post(
    "/categories/{category_id}/sections", response={201: SectionOut, 404: Error, 422: Error}
)
def create_section(request: HttpRequest, category_id: int, payload: SectionIn):
    category = get_object_or_404(Category, pk=category_id)
    _check_locales(payload.names)
    return Status(201, Section.objects.create(category=category, **payload.dict()))


@router.get("/articles", response=ArticlePage)
def list_articles(
    request: HttpRequest,
    locale: str = "",
    status: str = "",
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
):
    qs = Article.objects.prefetch_related("translations")
    if locale:
        qs = qs.filter(translations__locale=locale)
    if status:
        qs = qs.filter(translations__status=status)
    items, next_cursor = keyset_page(qs.distinct(), keys=["-id"], cursor=cursor, limit=limit)
    return {"items": [_article_out(a) for a in items], "next_cursor": next_cursor}


@router.post("/articles", response={201: ArticleOut, 422: Error})
def create_article(request: HttpRequest, payload: ArticleIn):
    try:
        article = articles.create_article(
            author=current_user(request),
            translations=_inputs(payload.translations),
            section=_section(payload.section_id),
            visibility=payload.visibility,
            tags=payload.tags,
            video_url=payload.video_url,
        )
    except articles.ArticleError as exc:
        raise HttpError(422, str(exc)) from exc
    return Status(201, _article_out(_article(article.pk)))


@router.get("/articles/{article_id}", response={200: ArticleOut, 404: Error})
def get_article(request: HttpRequest, article_id: int):
    return _article_out(_article(article_id))


@router.patch("/articles/{article_id}", response={200: ArticleOut, 404: Error, 422: Error})
def update_article(request: HttpRequest, article_id: int, payload: ArticlePatch):
    article = _article(article_id)
    user = current_user(request)
    fields = payload.dict(exclude_unset=True)
    try:
        articles.update_article(
            article=article,
            author=user,
            section=_section(payload.section_id) if "section_id" in fields else ...,
            visibility=payload.visibility,
            tags=payload.tags,
            video_url=payload.video_url,
        )
        for item in _inputs(payload.translations):
            articles.save_translation(article=article, data=item, author=user)
    except articles.ArticleError as exc:
        raise HttpError(422, str(exc)) from exc
    return _article_out(_article(article_id))


@router.post("/articles/{article_id}/publish", response={200: ArticleOut, 404: Error})
def publish_article(request: HttpRequest, article_id: int, payload: PublishIn):
    article = _article(article_id)
    articles.publish(article=article, author=current_user(request), locales=payload.locales)
    return _article_out(_article(article_id))


@router.get("/articles/{article_id}/versions", response={200: list[VersionOut], 404: Error})
def list_versions(request: HttpRequest, article_id: int, locale: str = ""):
    article = _article(article_id)
    qs = ArticleVersion.objects.filter(translation__article=article).select_related("translation")
    if locale:
        qs = qs.filter(translation__locale=locale)
    return [
        {
            "number": v.number,
            "locale": v.translation.locale,
            "title": v.title,
            "body": v.body,
            "status": v.status,
            "author_id": v.author_id,
            "note": v.note,
            "created_at": v.created_at,
        }
        for v in qs.order_by("translation__locale", "-number")[:500]
    ]


@router.post("/articles/{article_id}/conversations", response={201: None, 404: Error})
def link_conversation(request: HttpRequest, article_id: int, payload: ArticleLinkIn):
    """Record that this article answered a conversation (shown on both)."""
    user = current_user(request)
    conversation = get_object_or_404(Conversation, pk=payload.conversation_id)
    if not can_view_conversation(user, conversation):
        raise HttpError(404, "Not found.")
    articles.link_conversation(
        article=_article(article_id), conversation=conversation, user=user, source="api"
    )
    return Status(201, None)


@router.get("/search", response=list[ArticleHit])
def search_articles(
    request: HttpRequest,
    q: str = Query(..., min_length=1, max_length=300),
    locale: str = "",
    include_drafts: bool = False,
    include_internal: bool = True,
    limit: int = Query(10, ge=1, le=50),
):
    """Articles best first; agents see internal articles unless ``include_internal=false``."""
    results = search.search_articles(
        q,
        locales=[locale] if locale else (),
        public_only=not include_internal,
        published_only=not include_drafts,
        limit=limit,
    )
    return [
        {
            "article_id": r.translation.article_id,
            "translation_id": r.translation.pk,
            "locale": r.translation.locale,
            "title": r.translation.title,
            "status": r.translation.status,
            "visibility": r.translation.article.visibility,
            "score": r.score,
            "title_html": str(r.title_html),
            "snippet_html": str(r.snippet_html),
            "url": reverse(
                "help:article",
                args=[r.translation.locale, r.translation.article_id, r.translation.slug],
            ),
        }
        for r in results
    ]


@search_router.get("/messages", response=list[MessageHit])
def search_messages(
    request: HttpRequest,
    q: str = Query(..., min_length=1, max_length=300),
    limit: int = Query(20, ge=1, le=100),
):
    """Messages and notes of the conversations the caller may see, best first."""
    results = search.search_messages(q, user=current_user(request), limit=limit)
    return [
        {
            "message_id": r.message.pk,
            "conversation_id": r.message.conversation_id,
            "direction": r.message.direction,
            "channel": r.message.channel,
            "created_at": r.message.created_at,
            "score": r.score,
            "snippet_html": str(r.snippet_html),
        }
        for r in results
    ]
