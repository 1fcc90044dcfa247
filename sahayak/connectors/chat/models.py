"""A chat visitor's session: the browser's token, its contact and its current conversation."""

from __future__ import annotations

import secrets

from django.db import models

from sahayak.contacts.models import Contact
from sahayak.conversations.models import Conversation, Inbox


def _public_id() -> str:
    return secrets.token_hex(10)


class ChatSession(models.Model):
    """One browser (a visitor token kept in its localStorage) on one inbox's widget.

    Only the token's SHA-256 is stored. ``public_id`` names the visitor where a token must
    not appear: the chat identity, the thread key, message idempotency keys, channel groups.
    """

    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="chat_sessions")
    public_id = models.CharField(max_length=32, unique=True, default=_public_id)
    token_hash = models.CharField(max_length=64, unique=True)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="chat_sessions")
    conversation = models.ForeignKey(
        Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Where the visitor is: page URL, referrer, browser (user agent), locale, time zone.
    context = models.JSONField(default=dict, blank=True)
    verified_user_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["conversation"], name="chatsession_conversation")]

    def __str__(self) -> str:
        return f"chat visitor {self.public_id}"
