"""Reactions to conversation events: messages become searchable once they are stored.

Indexing runs after the message's transaction commits; a process killed in between leaves
a message unindexed until ``sahayak reindex`` (never a message lost).
"""

from __future__ import annotations

import logging
from typing import Any

from sahayak.conversations.models import Conversation, Message
from sahayak.conversations.signals import message_created, message_received

from . import bot, search

log = logging.getLogger(__name__)


def _index_message(
    sender: Any,
    message: Message,
    conversation: Conversation | None = None,
    created_conversation: bool = False,
    **kwargs: Any,
) -> None:
    subject = conversation.subject if conversation and created_conversation else ""
    try:
        search.index_messages([message], subjects={message.pk: subject} if subject else {})
    except Exception:  # the message is stored; the index is rebuilt by reindex
        log.exception("could not index message %s", message.pk)


def _answer_bot(
    sender: Any,
    conversation: Conversation,
    message: Message,
    created_conversation: bool = False,
    **kwargs: Any,
) -> None:
    try:
        bot.on_message(conversation, message, created_conversation)
    except Exception:  # the customer's message is stored; the team answers it anyway
        log.exception("answer bot failed on conversation %s", conversation.pk)


def connect() -> None:
    message_received.connect(_index_message, dispatch_uid="knowledge-index-received")
    message_received.connect(_answer_bot, dispatch_uid="knowledge-answer-bot")
    message_created.connect(_index_message, dispatch_uid="knowledge-index-created")
