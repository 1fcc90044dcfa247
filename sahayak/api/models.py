"""What the API remembers between requests: answers to requests sent with an
``Idempotency-Key``, so a retried POST is answered again instead of done twice."""

from __future__ import annotations

from django.db import models


class IdempotentRequest(models.Model):
    # SHA-256 of the caller's credentials: keys of different tokens never meet.
    caller = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    # SHA-256 of method, path and body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(default=0)  # 0 while the first try runs
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="idempotency_caller_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.status}"
