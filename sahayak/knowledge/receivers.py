"""Reactions to conversation events: messages become searchable once they are stored.

Indexing runs after the message's transaction commits; a process killed in between leaves
a message unindexed until ``sahayak reindex`` (never a message lost).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from sahayak.conversations.events import (
    MESSAGE_KINDS,
    DomainEvent,
    EventKind,
    conversation_event,
    events_committed,
)
from sahayak.conversations.models import Message

from . import bot, search

log = logging.getLogger(__name__)


def _on_event(event: DomainEvent, **kwargs: Any) -> None:
    if event.kind == EventKind.MESSAGE_RECEIVED and event.message is not None:
        _answer_bot(event)


def _on_events(events: list[DomainEvent], **kwargs: Any) -> None:
    """Index the messages of one commit together: one write per language, not per message."""
    by_language: dict[str, dict[int, Message]] = defaultdict(dict)
    subjects: dict[int, str] = {}
    for event in events:
        message, conversation = event.message, event.conversation
        if event.kind not in MESSAGE_KINDS or message is None:
            continue
        by_language[conversation.language][message.pk] = message
        if event.data.get("created_conversation") and conversation.subject:
            subjects[message.pk] = conversation.subject
    for language, messages in by_language.items():
        try:
            search.index_messages(
                messages.values(),
                subjects={pk: subjects[pk] for pk in messages if pk in subjects},
                language=language,
            )
        except Exception:  # the messages are stored; the index is rebuilt by reindex
            log.exception("could not index messages %s", sorted(messages))


def _answer_bot(event: DomainEvent) -> None:
    assert event.message is not None
    created = bool(event.data.get("created_conversation"))
    try:
        bot.on_message(event.conversation, event.message, created)
    except Exception:  # the customer's message is stored; the team answers it anyway
        log.exception("answer bot failed on conversation %s", event.conversation.pk)


def connect() -> None:
    conversation_event.connect(_on_event, dispatch_uid="knowledge-events")
    events_committed.connect(_on_events, dispatch_uid="knowledge-index")
