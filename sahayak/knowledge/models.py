"""The knowledge base: categories, sections, articles with one translation per locale,
their version history, files, feedback, and the links between articles and conversations.

Names of categories and sections are small per-locale dictionaries ({"en": "Billing",
"fr": "Facturation"}); an article's text lives in :class:`ArticleTranslation`, each with
its own status, so a French translation can still be a draft while English is published.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from sahayak.conversations.models import Conversation


def localized(names: dict[str, str], locale: str, default: str = "") -> str:
    """The entry of a per-locale dictionary for ``locale``, else the default locale's."""
    return (
        names.get(locale)
        or names.get(settings.SAHAYAK_KB_DEFAULT_LOCALE)
        or next(iter(names.values()), default)
    )


class Category(models.Model):
    names = models.JSONField(_("names"), default=dict)
    descriptions = models.JSONField(_("descriptions"), default=dict, blank=True)
    slug = models.SlugField(max_length=80, allow_unicode=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return localized(self.names, settings.SAHAYAK_KB_DEFAULT_LOCALE, self.slug)

    def name(self, locale: str) -> str:
        return localized(self.names, locale, self.slug)

    def description(self, locale: str) -> str:
        return localized(self.descriptions, locale)


class Section(models.Model):
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="sections")
    names = models.JSONField(_("names"), default=dict)
    slug = models.SlugField(max_length=80, allow_unicode=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return localized(self.names, settings.SAHAYAK_KB_DEFAULT_LOCALE, self.slug)

    def name(self, locale: str) -> str:
        return localized(self.names, locale, self.slug)


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Everyone (help center)")
    INTERNAL = "internal", _("Agents only")


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Article(models.Model):
    section = models.ForeignKey(
        Section, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    visibility = models.CharField(
        _("visible to"), max_length=12, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # A page on a video host (YouTube, Vimeo) or one of the article's uploaded mp4 files.
    video_url = models.CharField(_("video"), max_length=500, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    conversations = models.ManyToManyField(
        Conversation, through="ArticleLink", related_name="articles", blank=True
    )

    class Meta:
        indexes = [models.Index(fields=["section", "position", "id"], name="article_section")]

    def __str__(self) -> str:
        return f"article {self.pk}"

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC


class ArticleTranslation(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    locale = models.CharField(_("language"), max_length=16)
    title = models.CharField(_("title"), max_length=300)
    # Markdown as written; ``body_html`` is its sanitized rendering.
    body = models.TextField(_("text"), blank=True)
    body_html = models.TextField(blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    slug = models.SlugField(max_length=120, allow_unicode=True)
    status = models.CharField(
        max_length=12, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    helpful_yes = models.PositiveIntegerField(default=0)
    helpful_no = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["article", "locale"], name="article_locale_uniq")
        ]
        indexes = [
            models.Index(
                fields=["locale", "article"],
                condition=Q(status="published"),
                name="translation_published",
            ),
            # The workspace list: recently changed first (keyset pages).
            models.Index(fields=["-updated_at", "-id"], name="translation_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.title} [{self.locale}]"

    def get_absolute_url(self, locale: str | None = None) -> str:
        """Its help center page (shown in ``locale`` when that is a fallback)."""
        return reverse("help:article", args=[locale or self.locale, self.article_id, self.slug])

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED


class ArticleVersion(models.Model):
    """A snapshot of a translation, written on every change (restoring writes a new one)."""

    translation = models.ForeignKey(
        ArticleTranslation, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    summary = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=12, choices=ArticleStatus.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["translation", "number"], name="version_number_uniq")
        ]
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"v{self.number} of {self.translation_id}"


def article_file_path(instance: ArticleFile, filename: str) -> str:
    return f"kb/{instance.sha256[:2]}/{instance.sha256}"


class ArticleFile(models.Model):
    """An image, attachment or video uploaded for an article."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(upload_to=article_file_path, max_length=300)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=127)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.filename

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class LinkSource(models.TextChoices):
    AGENT = "agent", _("used by an agent")
    BOT = "bot", _("sent by the answer bot")
    API = "api", _("linked through the API")


class ArticleLink(models.Model):
    """An article used to answer a conversation (suggested, inserted, or sent by the bot)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="links")
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="article_links"
    )
    locale = models.CharField(max_length=16, blank=True)
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=16, choices=LinkSource.choices, default=LinkSource.AGENT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "conversation"], name="article_conversation_uniq"
            )
        ]
        indexes = [models.Index(fields=["article", "-id"], name="articlelink_article")]

    def __str__(self) -> str:
        return f"article {self.article_id} -> #{self.conversation_id}"


class Feedback(models.Model):
    """A reader's "was this helpful?" answer."""

    translation = models.ForeignKey(
        ArticleTranslation, on_delete=models.CASCADE, related_name="feedback"
    )
    helpful = models.BooleanField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{'+' if self.helpful else '-'} {self.translation_id}"


class SelfService(models.TextChoices):
    SUGGESTED_VIEW = "suggested_view", _("Suggested article read")
    DEFLECTED = "deflected", _("Question answered without a ticket")
    SUBMITTED = "submitted", _("Ticket sent after reading")
    BOT_ANSWERED = "bot_answered", _("Bot sent articles")
    BOT_RESOLVED = "bot_resolved", _("Solved by the bot")
    BOT_HANDOVER = "bot_handover", _("Handed over to a person")


class SelfServiceEvent(models.Model):
    """What happened between a customer and self-service, counted by analytics.

    A web form or widget visitor who opens a suggested article gets one row per
    ``session`` (a random token of that form); it turns ``deflected`` when they leave
    without sending, ``submitted`` when they send the form after all.
    """

    kind = models.CharField(max_length=20, choices=SelfService.choices)
    session = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=32, blank=True)
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    locale = models.CharField(max_length=16, blank=True)
    query = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["kind", "created_at"], name="selfservice_kind"),
            models.Index(fields=["session"], name="selfservice_session"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.session}"

    @classmethod
    def counts(cls, **filters: Any) -> dict[str, int]:
        rows = cls.objects.filter(**filters).values_list("kind").annotate(n=models.Count("id"))
        return {kind: n for kind, n in rows}


class SearchWord(models.Model):
    """A word that occurs in the index (folded), for correcting typos in queries: the
    candidates for a misspelt term are the words with its first letter and a length
    close to its own."""

    word = models.CharField(max_length=64, primary_key=True)
    initial = models.CharField(max_length=1)
    length = models.PositiveSmallIntegerField()

    class Meta:
        indexes = [models.Index(fields=["initial", "length"], name="searchword_initial_length")]

    def __str__(self) -> str:
        return self.word


class SearchProgress(models.Model):
    """How far a background pass over a table has come (the last id it handled)."""

    name = models.CharField(max_length=40, primary_key=True)
    last_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_id}"
