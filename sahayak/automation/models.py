"""Canned replies: answers agents insert from the reply box, one text per language."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CannedReply(models.Model):
    """A reply kept for reuse: shared with every agent (no owner) or an agent's own."""

    title = models.CharField(_("title"), max_length=200)
    # Typed after "/" in the reply box ("ref" for "Refund policy"); letters of any script.
    shortcut = models.CharField(_("shortcut"), max_length=40, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_replies",
        help_text=_("Empty: shared with every agent."),
    )
    # The text used when there is none in the customer's language.
    default_language = models.CharField(_("default language"), max_length=16, default="en")
    # Title and shortcut case-folded, for search in any script (SQL case-insensitive
    # matching only knows ASCII on SQLite).
    search_key = models.CharField(max_length=260, editable=False, db_index=True)
    usage_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_key = f"{self.shortcut} {self.title}".casefold()[:260]
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class CannedReplyText(models.Model):
    """The reply's text in one language."""

    reply = models.ForeignKey(CannedReply, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=16)
    body = models.TextField(_("text"), max_length=20_000)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reply", "language"], name="canned_text_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.reply_id} [{self.language}]"


class Macro(models.Model):
    """A named list of actions an agent applies to a conversation in one click.

    ``actions``: in order, each ``{"type": ..., ...}`` (see ``macros.ACTIONS``); ``fields``:
    what the agent fills in when running it (``{"name", "label"}``), used in texts as
    ``{{ fields.<name> }}``.
    """

    name = models.CharField(_("name"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="macros",
        help_text=_("Empty: shared with every agent."),
    )
    actions = models.JSONField(_("actions"), default=list)
    fields = models.JSONField(_("fields to fill in"), default=list, blank=True)
    usage_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
