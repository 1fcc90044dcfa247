"""Agent-side operations on conversations: reply, note, status, assignment, merge, link.

Views, the API, tasks and commands call these; each records an Event and emits its
domain event after commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sahayak.accounts.models import Team, User
from sahayak.ids import parse_id

from .models import (
    Conversation,
    ConversationMerge,
    DeliveryStatus,
    Direction,
    Event,
    Message,
    Priority,
    Status,
    Tag,
)
from .signals import conversation_updated, emit_on_commit, message_created
from .text import html_to_text, sanitize_html

MAX_TAGS = 50


class ConversationError(ValueError):
    """An operation that cannot be done as asked; the message says why."""


def _record(conversation: Conversation, actor: User | None, kind: str, **data: Any) -> None:
    Event.objects.create(conversation=conversation, actor=actor, kind=kind, data=data)


def _changed(conversation: Conversation, **changes: list[Any]) -> None:
    emit_on_commit(conversation_updated, conversation=conversation, changes=changes)


@transaction.atomic
def reply(
    *,
    conversation: Conversation,
    author: User,
    text: str = "",
    html: str = "",
    note: bool = False,
    channel: str | None = None,
) -> Message:
    """An agent's answer (delivered in the background) or an internal note (never sent)."""
    from .delivery import schedule_delivery

    text = text or html_to_text(html)
    if not text.strip():
        raise ConversationError(_("A reply needs some text."))
    now = timezone.now()
    message = Message.objects.create(
        conversation=conversation,
        direction=Direction.NOTE if note else Direction.OUTBOUND,
        channel=channel or conversation.channel,
        author_user=author,
        text=text,
        html=sanitize_html(html),
        delivery_status=DeliveryStatus.NONE if note else DeliveryStatus.PENDING,
        next_attempt_at=None if note else now,
    )
    if not note:
        _mark_answered(conversation, now)
        schedule_delivery(message)
    emit_on_commit(message_created, conversation=conversation, message=message)
    return message


@transaction.atomic
def send_automatic(
    *, conversation: Conversation, text: str, html: str = "", kind: str, channel: str = ""
) -> Message:
    """A message the system sends on its own (an acknowledgement, a chat transcript by
    email): delivered like a reply, but it is no one's first response and leaves the
    customer waiting."""
    from .delivery import schedule_delivery

    message = Message.objects.create(
        conversation=conversation,
        direction=Direction.OUTBOUND,
        channel=channel or conversation.channel,
        text=text,
        html=sanitize_html(html),
        metadata={"automatic": kind},
        delivery_status=DeliveryStatus.PENDING,
        next_attempt_at=timezone.now(),
    )
    schedule_delivery(message)
    emit_on_commit(message_created, conversation=conversation, message=message)
    return message


def add_system_note(*, conversation: Conversation, text: str, kind: str) -> Message:
    """An internal note written by the system (a bot handing over, an automation)."""
    message = Message.objects.create(
        conversation=conversation,
        direction=Direction.NOTE,
        channel=conversation.channel,
        text=text,
        metadata={"automatic": kind},
    )
    emit_on_commit(message_created, conversation=conversation, message=message)
    return message


def _mark_answered(conversation: Conversation, now: Any) -> None:
    fields = ["last_message_at", "waiting_since", "updated_at"]
    conversation.last_message_at = now
    conversation.waiting_since = None
    if conversation.first_response_at is None:
        conversation.first_response_at = now
        fields.append("first_response_at")
    if conversation.status == Status.NEW:
        conversation.status = Status.OPEN
        fields.append("status")
    conversation.save(update_fields=fields)


@transaction.atomic
def set_status(*, conversation: Conversation, status: str, actor: User | None) -> None:
    if status not in Status.values:
        raise ConversationError(_("Unknown status: %(s)s") % {"s": status})
    old = conversation.status
    if old == status:
        return
    conversation.status = status
    if status == Status.SOLVED:
        conversation.solved_at = timezone.now()
        conversation.waiting_since = None
    elif status != Status.CLOSED:
        conversation.solved_at = None
    conversation.save(update_fields=["status", "solved_at", "waiting_since", "updated_at"])
    _record(conversation, actor, "status", **{"from": old, "to": status})
    _changed(conversation, status=[old, status])


@transaction.atomic
def set_priority(*, conversation: Conversation, priority: str, actor: User | None) -> None:
    if priority not in Priority.values:
        raise ConversationError(_("Unknown priority: %(p)s") % {"p": priority})
    old = conversation.priority
    if old == priority:
        return
    conversation.priority = priority
    conversation.save(update_fields=["priority", "updated_at"])
    _record(conversation, actor, "priority", **{"from": old, "to": priority})
    _changed(conversation, priority=[old, priority])


@transaction.atomic
def assign(*, conversation: Conversation, assignee: User | None, actor: User | None) -> None:
    """Give the conversation to an agent (None: unassign)."""
    if assignee is not None and not assignee.is_active:
        raise ConversationError(_("That agent is deactivated."))
    old = conversation.assignee_id
    new = assignee.pk if assignee else None
    if old == new:
        return
    conversation.assignee = assignee
    conversation.save(update_fields=["assignee", "updated_at"])
    _record(conversation, actor, "assignee", **{"from": old, "to": new})
    _changed(conversation, assignee=[old, new])


@transaction.atomic
def set_team(*, conversation: Conversation, team: Team | None, actor: User | None) -> None:
    old = conversation.team_id
    new = team.pk if team else None
    if old == new:
        return
    conversation.team = team
    conversation.save(update_fields=["team", "updated_at"])
    _record(conversation, actor, "team", **{"from": old, "to": new})
    _changed(conversation, team=[old, new])


def tags_by_conversation(conversation_ids: Iterable[int]) -> dict[int, list[str]]:
    """Tag names of many conversations in one query, each list in name order."""
    tags: dict[int, list[str]] = {}
    through = Conversation.tags.through.objects.filter(conversation_id__in=list(conversation_ids))
    for conversation_id, name in through.values_list("conversation_id", "tag__name").order_by(
        "tag__name"
    ):
        tags.setdefault(conversation_id, []).append(name)
    return tags


def normalize_tags(names: Iterable[str]) -> list[str]:
    tags = sorted({name.strip().casefold()[:64] for name in names if name.strip()})
    if len(tags) > MAX_TAGS:
        raise ConversationError(_("At most %(n)d tags.") % {"n": MAX_TAGS})
    return tags


@transaction.atomic
def set_tags(*, conversation: Conversation, names: Iterable[str], actor: User | None) -> None:
    wanted = normalize_tags(names)
    old = sorted(conversation.tags.values_list("name", flat=True))
    if old == wanted:
        return
    Tag.objects.bulk_create([Tag(name=n) for n in wanted], ignore_conflicts=True)
    conversation.tags.set(Tag.objects.filter(name__in=wanted))
    _record(conversation, actor, "tags", **{"from": old, "to": wanted})
    _changed(conversation, tags=[old, wanted])


@transaction.atomic
def set_custom_fields(
    *, conversation: Conversation, values: dict[str, Any], actor: User | None
) -> None:
    old = dict(conversation.custom_fields)
    conversation.custom_fields = {**old, **values}
    conversation.save(update_fields=["custom_fields", "updated_at"])
    _record(conversation, actor, "custom_fields", **{"from": old, "to": conversation.custom_fields})
    _changed(conversation, custom_fields=[old, conversation.custom_fields])


# --- merge and link ---------------------------------------------------------------------------


@transaction.atomic
def merge_conversations(
    *, source: Conversation, target: Conversation, actor: User | None
) -> ConversationMerge:
    """Move ``source``'s messages into ``target`` and close ``source`` (undoable)."""
    source = Conversation.objects.select_for_update().get(pk=source.pk)
    target = Conversation.objects.select_for_update().get(pk=target.pk)
    if source.pk == target.pk:
        raise ConversationError(_("A conversation cannot be merged into itself."))
    if source.merged_into_id or target.merged_into_id:
        raise ConversationError(_("One of these conversations was already merged."))
    ids = list(source.messages.values_list("id", flat=True))
    Message.objects.filter(pk__in=ids).update(conversation=target)
    merge = ConversationMerge.objects.create(
        source=source,
        target=target,
        moved_message_ids=ids,
        source_status=source.status,
        actor=actor,
    )
    source.merged_into = target
    source.status = Status.CLOSED
    source.save(update_fields=["merged_into", "status", "updated_at"])
    if source.last_message_at and (
        target.last_message_at is None or source.last_message_at > target.last_message_at
    ):
        target.last_message_at = source.last_message_at
        target.save(update_fields=["last_message_at", "updated_at"])
    _record(source, actor, "merged_into", target=target.pk, merge=merge.pk)
    _record(target, actor, "merged_from", source=source.pk, merge=merge.pk, messages=len(ids))
    _changed(target, merged_from=[None, source.pk])
    return merge


@transaction.atomic
def undo_conversation_merge(*, merge: ConversationMerge, actor: User | None) -> Conversation:
    merge = ConversationMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise ConversationError(_("This merge was already undone."))
    source, target = merge.source, merge.target
    Message.objects.filter(pk__in=merge.moved_message_ids, conversation=target).update(
        conversation=source
    )
    source.merged_into = None
    source.status = merge.source_status
    source.save(update_fields=["merged_into", "status", "updated_at"])
    merge.undone_at = timezone.now()
    merge.save(update_fields=["undone_at"])
    _record(source, actor, "merge_undone", target=target.pk, merge=merge.pk)
    _record(target, actor, "merge_undone", source=source.pk, merge=merge.pk)
    _changed(target, merged_from=[source.pk, None])
    return source


@transaction.atomic
def link_conversations(*, a: Conversation, b: Conversation, actor: User | None) -> None:
    if a.pk == b.pk:
        raise ConversationError(_("A conversation cannot be linked to itself."))
    a.related.add(b)
    _record(a, actor, "linked", other=b.pk)
    _record(b, actor, "linked", other=a.pk)


@transaction.atomic
def unlink_conversations(*, a: Conversation, b: Conversation, actor: User | None) -> None:
    a.related.remove(b)
    _record(a, actor, "unlinked", other=b.pk)
    _record(b, actor, "unlinked", other=a.pk)


# --- many at once -----------------------------------------------------------------------------

BULK_LIMIT = 200


def bulk_apply(
    *, conversations: Iterable[Conversation], actor: User, action: str, value: str
) -> int:
    """Assign, set the status of, or tag several conversations; each change is recorded.

    ``value``: an agent id or "" (assign), a status (status), a tag name (tag).
    """
    targets = list(conversations)[:BULK_LIMIT]
    if action == "assign":
        agent_id = parse_id(value)
        assignee = User.objects.filter(pk=agent_id, is_active=True).first() if agent_id else None
        if value and assignee is None:
            raise ConversationError(_("No such agent."))
        for conversation in targets:
            assign(conversation=conversation, assignee=assignee, actor=actor)
    elif action == "status":
        if value not in Status.values:
            raise ConversationError(_("Unknown status: %(s)s") % {"s": value})
        for conversation in targets:
            set_status(conversation=conversation, status=value, actor=actor)
    elif action == "tag":
        name = normalize_tags([value])
        if not name:
            raise ConversationError(_("Give a tag name."))
        for conversation in targets:
            current = list(conversation.tags.values_list("name", flat=True))
            set_tags(conversation=conversation, names=[*current, *name], actor=actor)
    else:
        raise ConversationError(_("Unknown action."))
    return len(targets)


# Which identity kinds each channel can write to (a reply can switch to any channel the
# customer is reachable on and that has an active inbox).
CHANNEL_IDENTITY_KINDS: dict[str, tuple[str, ...]] = {
    "email": ("email",),
    "sms": ("phone",),
    "whatsapp": ("whatsapp", "phone"),
    "telegram": ("telegram",),
    "chat": ("chat",),
}


def reply_channels(conversation: Conversation, identity_kinds: Iterable[str]) -> list[str]:
    """Channels a reply can go out on: the conversation's own first, then the customer's others."""
    from sahayak.connectors.registry import known_channels

    from .models import Inbox

    kinds = set(identity_kinds)
    candidates = [
        channel
        for channel in known_channels()
        if channel != conversation.channel
        and kinds.intersection(CHANNEL_IDENTITY_KINDS.get(channel, ()))
    ]
    active = set(
        Inbox.objects.filter(channel__in=candidates, is_active=True).values_list(
            "channel", flat=True
        )
    )
    return [conversation.channel, *[c for c in candidates if c in active]]
