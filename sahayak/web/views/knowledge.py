"""Knowledge base in the workspace: articles suggested in the reply box, the article list,
the editor (translations, versions with diffs, restore, files) and drafts made of replies."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sahayak.conversations.models import Conversation, Direction
from sahayak.conversations.permissions import visible_conversations
from sahayak.conversations.text import html_to_text
from sahayak.knowledge import articles, help_center, search, selfservice
from sahayak.knowledge.models import (
    Article,
    ArticleFile,
    ArticleLink,
    ArticleStatus,
    ArticleTranslation,
    ArticleVersion,
    Section,
    Visibility,
)
from sahayak.pagination import BadCursor, keyset_page
from sahayak.portal.links import absolute

from .common import agent, conversation_for, login_required

SUGGESTIONS = 5


def _default_query(conversation: Conversation) -> str:
    last = (
        conversation.messages.filter(direction=Direction.INBOUND)
        .order_by("-id")
        .values_list("text", flat=True)
        .first()
    )
    return f"{conversation.subject} {(last or '')[:300]}".strip()


@login_required
def suggestions(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Articles for the reply box, in the customer's language (htmx fragment)."""
    conversation = conversation_for(request, conversation_id)
    locale = help_center.conversation_locale(conversation)
    query = request.GET.get("q", "").strip()[:300] or _default_query(conversation)
    results = (
        help_center.articles_in_language(query, locale, public_only=False, limit=SUGGESTIONS)
        if query
        else []
    )
    linked = set(conversation.article_links.values_list("article_id", flat=True))
    items = [
        {
            "result": r,
            "public_url": absolute(request, r.translation.get_absolute_url())
            if r.translation.article.is_public
            else "",
            "text": html_to_text(r.translation.body_html),
            "linked": r.translation.article_id in linked,
        }
        for r in results
    ]
    return render(
        request,
        "web/partials/kb_suggestions.html",
        {"c": conversation, "items": items, "query": request.GET.get("q", ""), "locale": locale},
    )


@login_required
@require_POST
def link_article(request: HttpRequest, conversation_id: int, article_id: int) -> JsonResponse:
    """The agent used an article in their reply: remember it on both sides."""
    conversation = conversation_for(request, conversation_id)
    article = get_object_or_404(Article, pk=article_id)
    articles.link_conversation(
        article=article,
        conversation=conversation,
        user=agent(request),
        locale=request.POST.get("locale", "")[:16],
    )
    return JsonResponse({"linked": True})


@login_required
@require_POST
def reply_to_article(request: HttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    """A new draft article made of an agent's reply, opened in the editor."""
    conversation = conversation_for(request, conversation_id)
    message = get_object_or_404(
        conversation.messages.exclude(direction=Direction.INBOUND), pk=message_id
    )
    article = articles.draft_from_reply(
        text=message.text,
        title=conversation.subject,
        locale=help_center.conversation_locale(conversation),
        author=agent(request),
    )
    articles.link_conversation(article=article, conversation=conversation, user=agent(request))
    messages.success(request, _("A draft article was made of the reply. Edit it, then publish."))
    return redirect("web:kb_article", article_id=article.pk)


@login_required
def article_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    status = request.GET.get("status", "")
    results: list[Any] = []
    rows: list[Any] = []
    next_cursor = None
    if query:
        results = search.search_articles(query, public_only=False, published_only=False, limit=50)
    else:
        qs = ArticleTranslation.objects.select_related("article")
        if status in ArticleStatus.values:
            qs = qs.filter(status=status)
        try:
            rows, next_cursor = keyset_page(
                qs, keys=["-updated_at", "-id"], cursor=request.GET.get("cursor"), limit=50
            )
        except BadCursor:
            rows, next_cursor = [], None
    return render(
        request,
        "web/kb_list.html",
        {
            "selfservice": selfservice.summary(timezone.now() - timedelta(days=30)),
            "query": query,
            "status": status,
            "statuses": ArticleStatus.choices,
            "results": results,
            "rows": rows,
            "next_cursor": next_cursor,
        },
    )


def _locale_names() -> dict[str, str]:
    return {code: str(name) for code, name in settings.LANGUAGES}


@login_required
def article_new(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        locale = request.POST.get("locale", help_center.default_locale())
        try:
            article = articles.create_article(
                author=agent(request),
                translations=[
                    articles.TranslationInput(
                        locale=locale,
                        title=request.POST.get("title", ""),
                        body=request.POST.get("body", ""),
                        summary=request.POST.get("summary", ""),
                    )
                ],
                visibility=request.POST.get("visibility", Visibility.PUBLIC),
            )
        except articles.ArticleError as exc:
            messages.error(request, str(exc))
        else:
            return redirect(f"{reverse('web:kb_article', args=[article.pk])}?locale={locale}")
    return render(
        request,
        "web/kb_new.html",
        {
            "locales": [(c, _locale_names().get(c, c)) for c in settings.SAHAYAK_KB_LOCALES],
            "visibilities": Visibility.choices,
        },
    )


@login_required
def article_edit(request: HttpRequest, article_id: int) -> HttpResponse:
    article = get_object_or_404(Article.objects.select_related("section"), pk=article_id)
    locale = request.GET.get("locale") or request.POST.get("locale") or ""
    translations = {t.locale: t for t in article.translations.all()}
    if locale not in settings.SAHAYAK_KB_LOCALES:
        locale = next(iter(sorted(translations)), help_center.default_locale())
    user = agent(request)
    if request.method == "POST":
        try:
            _save(request, article, locale, user)
        except articles.ArticleError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect(f"{reverse('web:kb_article', args=[article.pk])}?locale={locale}")
    current = translations.get(locale)
    versions = list(
        ArticleVersion.objects.filter(translation=current).select_related("author")[:30]
        if current
        else []
    )
    links = (
        ArticleLink.objects.filter(article=article, conversation__in=visible_conversations(user))
        .select_related("conversation", "linked_by")
        .order_by("-id")[:50]
    )
    return render(
        request,
        "web/kb_edit.html",
        {
            "article": article,
            "t": current,
            "locale": locale,
            "locales": [
                (c, _locale_names().get(c, c), translations.get(c))
                for c in settings.SAHAYAK_KB_LOCALES
            ],
            "statuses": ArticleStatus.choices,
            "visibilities": Visibility.choices,
            "sections": Section.objects.select_related("category"),
            "versions": versions,
            "links": links,
            "files": article.files.all(),
            "public_url": current.get_absolute_url()
            if current and current.is_published and article.is_public
            else "",
        },
    )


@transaction.atomic  # a refused translation leaves the shared fields as they were
def _save(request: HttpRequest, article: Article, locale: str, user: Any) -> None:
    data = request.POST
    section_id = data.get("section") or None
    section = Section.objects.filter(pk=section_id).first() if section_id else None
    articles.update_article(
        article=article,
        author=user,
        section=section,
        visibility=data.get("visibility", article.visibility),
        tags=[t for t in data.get("tags", "").split(",")],
        video_url=data.get("video_url", "").strip(),
    )
    articles.save_translation(
        article=article,
        data=articles.TranslationInput(
            locale=locale,
            title=data.get("title", ""),
            body=data.get("body", ""),
            summary=data.get("summary", ""),
            status=data.get("status") or None,
        ),
        author=user,
    )


@login_required
def version_diff(request: HttpRequest, article_id: int, version_id: int) -> HttpResponse:
    version = get_object_or_404(
        ArticleVersion.objects.select_related("translation", "author"),
        pk=version_id,
        translation__article_id=article_id,
    )
    previous = (
        ArticleVersion.objects.filter(translation=version.translation, number__lt=version.number)
        .order_by("-number")
        .first()
    )
    return render(
        request,
        "web/kb_diff.html",
        {
            "version": version,
            "previous": previous,
            "rows": articles.diff_versions(previous, version),
            "article_id": article_id,
        },
    )


@login_required
@require_POST
def version_restore(request: HttpRequest, article_id: int, version_id: int) -> HttpResponse:
    version = get_object_or_404(
        ArticleVersion.objects.select_related("translation__article"),
        pk=version_id,
        translation__article_id=article_id,
    )
    articles.restore_version(version=version, author=agent(request))
    messages.success(request, _("Version %(n)s restored.") % {"n": version.number})
    locale = version.translation.locale
    return redirect(f"{reverse('web:kb_article', args=[article_id])}?locale={locale}")


ALLOWED_FILE_TYPES = {
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "video/mp4",
    "video/webm",
}


@login_required
@require_POST
def upload_file(request: HttpRequest, article_id: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=article_id)
    upload = request.FILES.get("file")
    back = f"{reverse('web:kb_article', args=[article.pk])}?locale={request.POST.get('locale', '')}"
    if upload is None:
        messages.error(request, _("Choose a file first."))
        return redirect(back)
    if upload.content_type not in ALLOWED_FILE_TYPES:
        messages.error(request, _("This type of file cannot be attached to an article."))
        return redirect(back)
    if upload.size is None or upload.size > settings.SAHAYAK_KB_UPLOAD_BYTES:
        messages.error(request, _("The file is too large."))
        return redirect(back)
    content = upload.read()
    digest = hashlib.sha256(content).hexdigest()
    item = ArticleFile(
        article=article,
        filename=(upload.name or "file")[:255],
        content_type=upload.content_type,
        size=len(content),
        sha256=digest,
    )
    item.file.save(digest, ContentFile(content), save=False)
    item.save()
    url = reverse("help:file", args=[item.pk, item.filename])
    if item.is_image:
        hint = f"![{item.filename}]({url})"
    elif item.content_type.startswith("video/"):
        hint = _("Video: put %(url)s in the video field.") % {"url": url}
    else:
        hint = f"[{item.filename}]({url})"
    messages.success(request, _("Uploaded. Use it in the text as: %(hint)s") % {"hint": hint})
    return redirect(back)
