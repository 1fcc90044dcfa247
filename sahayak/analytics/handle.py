"""Handle time: the conversation page reports, about once a minute and when it is left,
the seconds it was visible and focused; each report is one span."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from sahayak.accounts.models import User
from sahayak.conversations.models import Conversation

from .models import HandleSpan

# A page reports at least this often, so one report never claims more.
MAX_SECONDS = 120


def record(agent: User, conversation: Conversation, seconds: int) -> int:
    """Store a span (clamped to ``MAX_SECONDS``); the seconds stored (0: nothing)."""
    seconds = max(0, min(int(seconds), MAX_SECONDS))
    if seconds == 0:
        return 0
    HandleSpan.objects.create(
        agent=agent,
        conversation=conversation,
        started_at=timezone.now() - timedelta(seconds=seconds),
        seconds=seconds,
    )
    return seconds
