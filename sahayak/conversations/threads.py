"""Rejoining a thread that concurrent deliveries split.

Threading reads only committed rows. When a reply and its parent are stored at the same
moment by two processes (two SMTP sessions, an IMAP poll beside an HTTP hook), neither sees
the other and each opens a conversation. After its commit, each delivery checks again: the
later of the two always sees the earlier, and the newer conversation is merged into the
older one (an ordinary, undoable merge recorded in the event trail).
"""

from __future__ import annotations

import logging

from django.db import transaction

from .models import Conversation, Message, Status, ThreadReference
from .services import ConversationError, merge_conversations

logger = logging.getLogger(__name__)


def rejoin_split_thread(message_id: int) -> Conversation | None:
    """Merge the conversation ``message_id`` opened into the thread it belongs to, if any.

    Call after the message is committed. Returns the conversation that was kept, or None
    when nothing was split.
    """
    message = Message.objects.select_related("conversation").get(pk=message_id)
    own = message.conversation
    if own.merged_into_id or message.metadata.get("follows_conversation"):
        return None  # deliberately a new conversation (a reply to a closed one)
    other = _other_conversation(message)
    if other is None:
        return None
    while other.merged_into_id:
        other = Conversation.objects.get(pk=other.merged_into_id)
    if other.pk == own.pk or other.status == Status.CLOSED:
        return None
    older, newer = sorted((own, other), key=lambda c: c.pk)
    try:
        with transaction.atomic():
            merge_conversations(source=newer, target=older, actor=None)
    except ConversationError:
        return None  # the other delivery rejoined them first
    logger.info("rejoined conversation #%s into #%s (split thread)", newer.pk, older.pk)
    return older


def _other_conversation(message: Message) -> Conversation | None:
    refs = list(ThreadReference.objects.filter(message=message).values_list("ref", flat=True))
    if refs:
        parent = (
            Message.objects.filter(channel=message.channel, external_id__in=refs)
            .exclude(conversation_id=message.conversation_id)
            .select_related("conversation")
            .order_by("id")
            .first()
        )
        if parent is not None:
            return parent.conversation
    if message.external_id:
        refs.append(message.external_id)
    if not refs:
        return None
    sibling = (
        ThreadReference.objects.filter(channel=message.channel, ref__in=refs)
        .exclude(conversation_id=message.conversation_id)
        .select_related("conversation")
        .order_by("id")
        .first()
    )
    return sibling.conversation if sibling else None
