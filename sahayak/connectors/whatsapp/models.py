from django.db import models

from sahayak.conversations.models import Inbox


class MessageTemplate(models.Model):
    """An approved (or pending, rejected...) WhatsApp message template of an inbox's
    business account, as last synced from the Graph API: one row per name and language."""

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="whatsapp_templates")
    name = models.CharField(max_length=512)
    language = models.CharField(max_length=16)
    status = models.CharField(max_length=32)
    category = models.CharField(max_length=32, blank=True)
    components = models.JSONField(default=list)
    synced_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["inbox", "name", "language"], name="wa_template_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"
