from __future__ import annotations

from django.db import models


class LoginLink(models.Model):
    """A one-time sign-in link sent to a customer's email (only its hash is kept)."""

    token_hash = models.CharField(max_length=64, unique=True)
    email = models.EmailField(max_length=254)
    locale = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.email


class ArticleRead(models.Model):
    """A signed-in portal customer read a help center article (shown on their timeline)."""

    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="article_reads"
    )
    article = models.ForeignKey("knowledge.Article", on_delete=models.CASCADE, related_name="reads")
    locale = models.CharField(max_length=16, blank=True)
    read_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["contact", "-read_at"], name="articleread_contact")]

    def __str__(self) -> str:
        return f"{self.contact_id} read {self.article_id}"
