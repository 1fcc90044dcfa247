"""Reactions to conversation events: messages become searchable once they are stored.

Indexing runs after the message's transaction commits; a process killed in between leaves
a message unindexed until ``sahayak reindex`` (never a message lost).
"""

from __future__ import annotations

import logging
from typing import Any

from sahayak.conversations.events import MESSAGE_KINDS, DomainEvent, EventKind, conversation_event

from . import bot, search

log = logging.getLogger(__name__)


def _on_event(event: DomainEvent, **kwargs: Any) -> None:
    if event.kind not in MESSAGE_KINDS or event.message is None:
        return
    _index_message(event)
    if event.kind == EventKind.MESSAGE_RECEIVED:
        _answer_bot(event)


def _index_message(event: DomainEvent) -> None:
    message, conversation = event.message, event.conversation
    assert message is not None
    created = bool(event.data.get("created_conversation"))
    subject = conversation.subject if created else ""
    try:
        search.index_messages(
            [message],
            subjects={message.pk: subject} if subject else {},
            language=conversation.language,
        )
    except Exception:  # the message is stored; the index is rebuilt by reindex
        log.exception("could not index message %s", message.pk)


def _answer_bot(event: DomainEvent) -> None:
    assert event.message is not None
    created = bool(event.data.get("created_conversation"))
    try:
        bot.on_message(event.conversation, event.message, created)
    except Exception:  # the customer's message is stored; the team answers it anyway
        log.exception("answer bot failed on conversation %s", event.conversation.pk)


def connect() -> None:
    conversation_event.connect(_on_event, dispatch_uid="knowledge-events")
