"""Reactions to conversation events: messages become searchable once they are stored.

Indexing runs after the message's transaction commits; a process killed in between leaves
a message unindexed until ``sahayak reindex`` (never a message lost).
"""

from __future__ import annotations

import logging
from typing import Any

from sahayak.conversations.models import Message
from sahayak.conversations.signals import message_created, message_received

from . import search

log = logging.getLogger(__name__)


def _index_message(sender: Any, message: Message, **kwargs: Any) -> None:
    try:
        search.index_messages([message])
    except Exception:  # the message is stored; the index is rebuilt by reindex
        log.exception("could not index message %s", message.pk)


def connect() -> None:
    message_received.connect(_index_message, dispatch_uid="knowledge-index-received")
    message_created.connect(_index_message, dispatch_uid="knowledge-index-created")
