"""Rejoining a thread that concurrent or out-of-order deliveries split.

Threading reads only committed rows. When a reply and its parent are stored at the same
moment by two processes (two SMTP sessions, an IMAP poll beside an HTTP hook), neither sees
the other and each opens a conversation. After its commit, each delivery checks again: the
later of the two always sees the earlier, and the newer conversation is merged into the
older one (an ordinary, undoable merge recorded in the event trail).

Order of arrival splits threads too: C (answering B) arrives, then A, then B (answering A).
B joins A's conversation and is also the message C answered: the message that turns out to
link two conversations joins them, whether or not it opened one.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from django.db import transaction

from .models import Conversation, Message, Status, ThreadReference
from .services import ConversationError, merge_conversations

logger = logging.getLogger(__name__)


def referred_from_elsewhere(message: Message) -> bool:
    """Whether a message in another conversation answers this one (one index probe)."""
    if not message.external_id:
        return False
    return (
        ThreadReference.objects.filter(channel=message.channel, ref=message.external_id[:255])
        .exclude(conversation_id=message.conversation_id)
        .exists()
    )


def rejoin_split_thread(message_id: int) -> Conversation | None:
    """Merge the conversation ``message_id`` opened into the thread it belongs to, if any.

    Call after the message is committed. Returns the conversation that was kept, or None
    when nothing was split.
    """
    return rejoin_split_threads([message_id]).get(message_id)


def rejoin_split_threads(message_ids: list[int]) -> dict[int, Conversation]:
    """The same for a committed batch, in four queries when nothing was split."""
    if not message_ids:
        return {}
    rows = list(
        Message.objects.filter(pk__in=message_ids).values_list(
            "pk", "channel", "external_id", "conversation_id", "metadata"
        )
    )
    refs: dict[int, list[str]] = defaultdict(list)
    for pk, ref in ThreadReference.objects.filter(message_id__in=message_ids).values_list(
        "message_id", "ref"
    ):
        refs[pk].append(ref)
    return _rejoin(rows, refs)


def rejoin_split_message(message: Message, refs: list[str]) -> Conversation | None:
    """``rejoin_split_thread`` for a message just stored, in hand with the references it
    recorded: its rows are not read back (one query when nothing was split)."""
    row = (
        message.pk,
        message.channel,
        message.external_id,
        message.conversation_id,
        message.metadata,
    )
    return _rejoin([row], {message.pk: refs}).get(message.pk)


def _rejoin(
    rows: list[tuple[int, str, str | None, int, dict[str, Any] | None]],
    refs: dict[int, list[str]],
) -> dict[int, Conversation]:
    all_refs = {r for values in refs.values() for r in values}
    own_ids = {row[2] for row in rows if row[2]}
    channels = {row[1] for row in rows}
    parents: dict[tuple[str, str], set[int]] = defaultdict(set)
    if all_refs:
        for channel, external_id, conversation_id in Message.objects.filter(
            channel__in=channels, external_id__in=all_refs
        ).values_list("channel", "external_id", "conversation_id"):
            parents[(channel, external_id or "")].add(conversation_id)
    siblings: dict[tuple[str, str], set[int]] = defaultdict(set)
    for channel, ref, conversation_id in ThreadReference.objects.filter(
        channel__in=channels, ref__in=all_refs | own_ids
    ).values_list("channel", "ref", "conversation_id"):
        siblings[(channel, ref)].add(conversation_id)
    kept: dict[int, Conversation] = {}
    for pk, channel, external_id, own, metadata in rows:
        if (metadata or {}).get("follows_conversation"):
            continue  # deliberately a new conversation (a reply to a closed one)
        candidates: set[int] = set()
        for ref in refs.get(pk, ()):
            candidates |= parents[(channel, ref)] | siblings[(channel, ref)]
        if external_id:
            candidates |= siblings[(channel, external_id)]
        candidates.discard(own)
        if candidates:
            found = _merge(own, min(candidates))
            if found is not None:
                kept[pk] = found
    return kept


def _merge(own_id: int, other_id: int) -> Conversation | None:
    own = Conversation.objects.get(pk=own_id)
    other = Conversation.objects.get(pk=other_id)
    while other.merged_into_id:
        other = Conversation.objects.get(pk=other.merged_into_id)
    if own.merged_into_id or other.pk == own.pk or other.status == Status.CLOSED:
        return None
    older, newer = sorted((own, other), key=lambda c: c.pk)
    try:
        with transaction.atomic():
            merge_conversations(source=newer, target=older, actor=None)
    except ConversationError:
        return None  # the other delivery rejoined them first
    logger.info("rejoined conversation #%s into #%s (split thread)", newer.pk, older.pk)
    return older
