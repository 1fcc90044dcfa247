"""Agent-side operations on conversations: reply, note, status, assignment, merge, link.

Views, the API, tasks and commands call these; each records an Event and emits its
domain event after commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from sahayak.accounts.models import Team, User
from sahayak.contacts.attributes import check_attributes
from sahayak.ids import parse_id

from . import attachments, channels, rich_text, signatures
from .events import EventKind, record
from .inbound import InboundAttachment
from .models import (
    OPEN_STATUSES,
    Conversation,
    ConversationMerge,
    DeliveryStatus,
    Direction,
    Inbox,
    Message,
    Priority,
    Status,
    Tag,
)
from .text import html_to_text, sanitize_html

MAX_TAGS = 50


class ConversationError(ValueError):
    """An operation that cannot be done as asked; the message says why."""


@transaction.atomic
def reply(
    *,
    conversation: Conversation,
    author: User,
    text: str = "",
    html: str = "",
    note: bool = False,
    channel: str | None = None,
    template: dict[str, Any] | None = None,
    reply_to: int | None = None,
    files: Sequence[InboundAttachment] = (),
    marked: bool = False,
    copies: dict[str, list[str]] | None = None,
) -> Message:
    """An agent's answer (delivered in the background) or an internal note (never sent).

    ``marked``: ``text`` has the reply box's marks (Markdown), sent as formatting where the
    channel shows it and taken out where it does not.

    A reply goes out only on a channel the customer can be reached on (``reply_channels``);
    it answers the customer (first response, waiting clock) only once it has been sent.
    On a channel with a reply window, free text goes out only while the window is open;
    after it only an approved ``template`` (its rendered text is ``text``).
    """
    from .delivery import schedule_delivery

    text = text or html_to_text(html)
    if not text.strip() and not files:
        raise ConversationError(_("A reply needs some text."))
    # A note is never sent, so it stays on the conversation's channel.
    channel = conversation.channel if note else check_reply_channel(conversation, channel)
    check_files(files, None if note else channel)
    if marked and not note and not template and not html:
        if _formatting(channel):  # email: under the reply, the signatures in its language
            locale = conversation.contact.locale or conversation.language
            inbox = conversation.inbox if conversation.channel == channel else None
            text = signatures.signed(text, signatures.signature_for(author, inbox, locale))
        html = rich_text.to_html(text) if _formatting(channel) else ""
        text = rich_text.to_text(text)
    metadata: dict[str, Any] = {}
    if not note:
        if template:
            metadata["template"] = template
        elif window_closed(conversation, channel):
            raise ConversationError(window_closed_reason(channel))
        if reply_to:
            metadata["reply_to"] = reply_to
        metadata.update(check_copies(copies or {}, channel))
    message = Message.objects.create(
        conversation=conversation,
        direction=Direction.NOTE if note else Direction.OUTBOUND,
        channel=channel,
        author_user=author,
        text=text,
        html=sanitize_html(html),
        delivery_status=DeliveryStatus.NONE if note else DeliveryStatus.PENDING,
        next_attempt_at=None if note else timezone.now(),
        metadata=metadata,
    )
    attachments.store(message, files)
    if not note:
        schedule_delivery(message)
    kind = EventKind.NOTE_ADDED if note else EventKind.REPLY_QUEUED
    record(kind, conversation, actor=author, message=message, persist=False)
    return message


MAX_REPLY_FILES = 10


MAX_COPIES = 20


def check_copies(copies: dict[str, list[str]], channel: str) -> dict[str, list[str]]:
    """Cc and Bcc addresses of an email reply, checked: {"cc": [...], "bcc": [...]}."""
    found = {kind: [a.strip() for a in copies.get(kind, []) if a.strip()] for kind in ("cc", "bcc")}
    found = {kind: addresses for kind, addresses in found.items() if addresses}
    if not found:
        return {}
    if channel != "email":
        raise ConversationError(_("Copies (Cc, Bcc) go only with email replies."))
    return {kind: email_list(addresses, MAX_COPIES) for kind, addresses in found.items()}


def email_list(values: Sequence[str], limit: int) -> list[str]:
    """Email addresses as typed (one per item), checked, each once, at most ``limit``."""
    found = list(dict.fromkeys(v.strip() for v in values if v.strip()))
    if len(found) > limit:
        raise ConversationError(_("At most %(n)d addresses.") % {"n": limit})
    for address in found:
        try:
            validate_email(address)
        except ValidationError:
            raise ConversationError(
                _("%(address)s is not an email address.") % {"address": address}
            ) from None
    return found


def _formatting(channel: str) -> bool:
    try:
        return channels.get_channel(channel).capabilities.formatting
    except channels.UnknownChannel:
        return False


def check_files(files: Sequence[InboundAttachment], channel: str | None) -> None:
    """Refuse files a reply on ``channel`` could not carry (None: a note, kept here)."""
    if not files:
        return
    if len(files) > MAX_REPLY_FILES:
        raise ConversationError(_("At most %(n)d files per message.") % {"n": MAX_REPLY_FILES})
    limit = settings.SAHAYAK_MAX_ATTACHMENT_BYTES
    if channel is not None:
        limit = channels.get_channel(channel).capabilities.max_attachment_bytes
        if not limit:
            raise ConversationError(
                _("Files cannot be sent on %(channel)s.") % {"channel": channels.label(channel)}
            )
    for item in files:
        if len(item.content) > limit:
            raise ConversationError(
                _("%(name)s is larger than %(size)s.")
                % {"name": item.filename, "size": filesizeformat(limit)}
            )


@transaction.atomic
def answer(
    *,
    conversation: Conversation,
    author: User,
    text: str = "",
    note: bool = False,
    channel: str | None = None,
    files: Sequence[InboundAttachment] = (),
    claim: bool = False,
    then_status: str = "",
    copies: dict[str, list[str]] | None = None,
) -> Message:
    """The reply box's send: a reply or note, then (all or nothing) the conversation taken
    by its author if nobody has it and ``claim``, and its status set to ``then_status``."""
    message = reply(
        conversation=conversation,
        author=author,
        text=text,
        note=note,
        channel=channel,
        files=files,
        marked=True,
        copies=None if note else copies,
    )
    if claim and conversation.assignee_id is None:
        assign(conversation=conversation, assignee=author, actor=author, reason="reply")
    if then_status:
        set_status(conversation=conversation, status=then_status, actor=author)
    return message


@transaction.atomic
def retry_reply(*, message: Message, actor: User, channel: str | None = None) -> Message:
    """Send a failed reply again, on its channel or on another the customer has: a real
    new attempt with a fresh attempt count."""
    from .delivery import schedule_delivery

    message = Message.objects.select_for_update().select_related("conversation").get(pk=message.pk)
    if message.direction != Direction.OUTBOUND or message.delivery_status != DeliveryStatus.FAILED:
        raise ConversationError(_("Only a reply that failed can be sent again."))
    conversation = message.conversation
    new_channel = check_reply_channel(conversation, channel or message.channel)
    old_channel = message.channel
    message.channel = new_channel
    message.delivery_status = DeliveryStatus.PENDING
    message.delivery_error = ""
    message.delivery_attempts = 0
    message.next_attempt_at = timezone.now()
    message.save(
        update_fields=[
            "channel",
            "delivery_status",
            "delivery_error",
            "delivery_attempts",
            "next_attempt_at",
        ]
    )
    schedule_delivery(message)
    record(
        EventKind.REPLY_RETRIED,
        conversation,
        actor=actor,
        old=old_channel,
        new=new_channel,
        message=message,
    )
    return message


@transaction.atomic
def send_automatic(
    *,
    conversation: Conversation,
    text: str,
    html: str = "",
    kind: str,
    channel: str = "",
    subject: str = "",
    to: str = "",
    extra: dict[str, str] | None = None,
) -> Message:
    """A message the system sends on its own (an acknowledgement, a chat transcript by
    email): delivered like a reply, but it is no one's first response and leaves the
    customer waiting. ``subject`` replaces the conversation's (which may be the customer's
    own words) and ``to`` names the one address it goes to; ``extra`` is kept in the
    message's metadata for the channel (a survey's answer link)."""
    from .delivery import schedule_delivery

    metadata: dict[str, str] = {**(extra or {}), "automatic": kind}
    if subject:
        metadata["subject"] = subject[:200]
    if to:
        metadata["to"] = to
    message = Message.objects.create(
        conversation=conversation,
        direction=Direction.OUTBOUND,
        channel=channel or conversation.channel,
        text=text,
        html=sanitize_html(html),
        metadata=metadata,
        delivery_status=DeliveryStatus.PENDING,
        next_attempt_at=timezone.now(),
    )
    schedule_delivery(message)
    record(EventKind.REPLY_QUEUED, conversation, message=message, persist=False)
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
    record(EventKind.NOTE_ADDED, conversation, message=message, persist=False)
    return message


@transaction.atomic
def set_status(*, conversation: Conversation, status: str, actor: User | None) -> None:
    if status not in Status.values:
        raise ConversationError(_("Unknown status: %(s)s") % {"s": status})
    old = conversation.status
    if old == status:
        return
    now = timezone.now()
    conversation.status = status
    conversation.status_changed_at = now
    if status == Status.SOLVED:
        conversation.solved_at = now
        conversation.waiting_since = None
    elif status == Status.SPAM:
        conversation.waiting_since = None  # set aside: nobody is waiting for an answer
    elif status != Status.CLOSED:
        conversation.solved_at = None
    if old == Status.SPAM and status in OPEN_STATUSES and conversation.waiting_since is None:
        # "Not spam": the customer has been waiting since they wrote.
        conversation.waiting_since = conversation.last_message_at or timezone.now()
    conversation.save(
        update_fields=["status", "status_changed_at", "solved_at", "waiting_since", "updated_at"]
    )
    record(EventKind.STATUS, conversation, actor=actor, old=old, new=status)


@transaction.atomic
def set_priority(*, conversation: Conversation, priority: str, actor: User | None) -> None:
    if priority not in Priority.values:
        raise ConversationError(_("Unknown priority: %(p)s") % {"p": priority})
    old = conversation.priority
    if old == priority:
        return
    conversation.priority = priority
    conversation.save(update_fields=["priority", "updated_at"])
    record(EventKind.PRIORITY, conversation, actor=actor, old=old, new=priority)


@transaction.atomic
def assign(
    *,
    conversation: Conversation,
    assignee: User | None,
    actor: User | None,
    **why: Any,
) -> None:
    """Give the conversation to an agent (None: unassign); ``why`` is stored on the event
    (an automatic assignment records its policy, the agents considered and the reason)."""
    if assignee is not None and not assignee.is_active:
        raise ConversationError(_("That agent is deactivated."))
    old = conversation.assignee_id
    new = assignee.pk if assignee else None
    if old == new:
        return
    conversation.assignee = assignee
    conversation.save(update_fields=["assignee", "updated_at"])
    record(EventKind.ASSIGNEE, conversation, actor=actor, old=old, new=new, **why)


MAX_SNOOZE = timedelta(days=366)


@transaction.atomic
def snooze(*, conversation: Conversation, until: datetime, actor: User | None) -> None:
    """Out of the open views until ``until`` (or until the customer writes)."""
    now = timezone.now()
    if until <= now:
        raise ConversationError(_("Choose a time in the future."))
    if until > now + MAX_SNOOZE:
        raise ConversationError(_("Snooze for a year at most."))
    if conversation.status not in OPEN_STATUSES:
        raise ConversationError(_("Only an open conversation can be snoozed."))
    old = conversation.snoozed_until
    conversation.snoozed_until = until
    conversation.save(update_fields=["snoozed_until", "updated_at"])
    record(
        EventKind.SNOOZED,
        conversation,
        actor=actor,
        old=old.isoformat() if old else None,
        new=until.isoformat(),
    )


@transaction.atomic
def wake(*, conversation: Conversation, actor: User | None, reason: str = "time") -> bool:
    """Back in the open views; False if it was not snoozed."""
    if conversation.snoozed_until is None:
        return False
    old = conversation.snoozed_until
    conversation.snoozed_until = None
    conversation.save(update_fields=["snoozed_until", "updated_at"])
    record(EventKind.WOKEN, conversation, actor=actor, old=old.isoformat(), reason=reason)
    return True


def wake_due(limit: int = 500) -> int:
    """Wake the conversations whose snooze has run out (a periodic job)."""
    due = list(
        Conversation.objects.filter(snoozed_until__lte=timezone.now()).order_by("snoozed_until")[
            :limit
        ]
    )
    return sum(wake(conversation=c, actor=None) for c in due)


@transaction.atomic
def set_team(*, conversation: Conversation, team: Team | None, actor: User | None) -> None:
    old = conversation.team_id
    new = team.pk if team else None
    if old == new:
        return
    conversation.team = team
    conversation.save(update_fields=["team", "updated_at"])
    record(EventKind.TEAM, conversation, actor=actor, old=old, new=new)


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
    record(EventKind.TAGS, conversation, actor=actor, old=old, new=wanted)


@transaction.atomic
def set_custom_fields(
    *, conversation: Conversation, values: dict[str, Any], actor: User | None
) -> None:
    old = dict(conversation.custom_fields)
    try:
        new = check_attributes({**old, **values})
    except ValueError as exc:
        raise ConversationError(str(exc)) from exc
    if new == old:
        return
    conversation.custom_fields = new
    conversation.save(update_fields=["custom_fields", "updated_at"])
    record(EventKind.CUSTOM_FIELDS, conversation, actor=actor, old=old, new=new)


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
    source.status_changed_at = timezone.now()
    source.save(update_fields=["merged_into", "status", "status_changed_at", "updated_at"])
    if source.last_message_at and (
        target.last_message_at is None or source.last_message_at > target.last_message_at
    ):
        target.last_message_at = source.last_message_at
        target.save(update_fields=["last_message_at", "updated_at"])
    record(EventKind.MERGED_INTO, source, actor=actor, old=None, new=target.pk, merge=merge.pk)
    record(
        EventKind.MERGED_FROM,
        target,
        actor=actor,
        old=None,
        new=source.pk,
        merge=merge.pk,
        messages=len(ids),
    )
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
    source.status_changed_at = timezone.now()
    source.save(update_fields=["merged_into", "status", "status_changed_at", "updated_at"])
    merge.undone_at = timezone.now()
    merge.save(update_fields=["undone_at"])
    record(EventKind.MERGE_UNDONE, source, actor=actor, old=target.pk, new=None, merge=merge.pk)
    record(EventKind.MERGE_UNDONE, target, actor=actor, old=source.pk, new=None, merge=merge.pk)
    return source


@transaction.atomic
def link_conversations(*, a: Conversation, b: Conversation, actor: User | None) -> None:
    if a.pk == b.pk:
        raise ConversationError(_("A conversation cannot be linked to itself."))
    a.related.add(b)
    record(EventKind.LINKED, a, actor=actor, old=None, new=b.pk)
    record(EventKind.LINKED, b, actor=actor, old=None, new=a.pk)


@transaction.atomic
def unlink_conversations(*, a: Conversation, b: Conversation, actor: User | None) -> None:
    a.related.remove(b)
    record(EventKind.UNLINKED, a, actor=actor, old=b.pk, new=None)
    record(EventKind.UNLINKED, b, actor=actor, old=a.pk, new=None)


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


# --- which channels a reply can go out on ------------------------------------------------


def reply_channels(
    conversation: Conversation, identity_kinds: Iterable[str] | None = None
) -> list[str]:
    """Channels a reply can go out on: the conversation's own first (if a connector for it
    is installed), then every other registered channel that has an active inbox and
    reaches the customer by one of their identities. The workspace offers these and the
    API accepts only these."""
    if identity_kinds is None:
        identity_kinds = conversation.contact.identities.values_list("kind", flat=True)
    kinds = set(identity_kinds)
    others = [
        channel.kind
        for channel in channels.channels()
        if channel.kind != conversation.channel and kinds.intersection(channel.identity_kinds)
    ]
    active = set(
        Inbox.objects.filter(channel__in=others, is_active=True).values_list("channel", flat=True)
    )
    own = [conversation.channel] if channels.is_known(conversation.channel) else []
    return [*own, *[kind for kind in others if kind in active]]


def reply_window(channel: str) -> int | None:
    """Hours a free-text reply may follow the customer's last message on ``channel``."""
    try:
        return channels.get_channel(channel).capabilities.reply_window_hours
    except channels.UnknownChannel:
        return None


def window_closed_reason(channel: str) -> str:
    hours = reply_window(channel) or 0
    label = channels.label(channel)
    if channels.get_channel(channel).capabilities.templates_outside_window:
        return _(
            "More than %(h)d hours have passed since the customer last wrote on %(c)s: "
            "only an approved template can be sent now."
        ) % {"h": hours, "c": label}
    return _(
        "More than %(h)d hours have passed since the customer last wrote on %(c)s: it "
        "accepts no more replies until they write again."
    ) % {"h": hours, "c": label}


def last_customer_message_at(contact_id: int, channel: str) -> datetime | None:
    """When the customer last wrote on ``channel``, in any of their conversations
    (providers' reply windows count per customer, not per ticket)."""
    return (
        Message.objects.filter(
            author_contact_id=contact_id, channel=channel, direction=Direction.INBOUND
        )
        .order_by("-id")
        .values_list("created_at", flat=True)
        .first()
    )


def window_closes_at(conversation: Conversation, channel: str) -> datetime | None:
    """When free text stops being allowed on ``channel`` for this customer (None: the
    channel has no window). The window runs from the customer's last message on that
    channel, in any of their conversations (providers count per customer, not per
    ticket); a customer who never wrote there has a window that is already closed."""
    hours = reply_window(channel)
    if hours is None:
        return None
    last = last_customer_message_at(conversation.contact_id, channel)
    if last is None:
        return timezone.now() - timedelta(seconds=1)
    return last + timedelta(hours=hours)


def window_closed(conversation: Conversation, channel: str) -> bool:
    closes = window_closes_at(conversation, channel)
    return closes is not None and closes <= timezone.now()


def check_reply_channel(conversation: Conversation, channel: str | None) -> str:
    """``channel`` (default: the conversation's) if a reply may go out on it, else an error."""
    channel = channel or conversation.channel
    allowed = reply_channels(conversation)
    if channel not in allowed:
        if not allowed:
            raise ConversationError(
                _("No channel can reach this customer: add an email address or another identity.")
            )
        raise ConversationError(
            _("The customer cannot be reached on that channel (%(c)s). Possible: %(all)s.")
            % {"c": channels.label(channel), "all": ", ".join(map(channels.label, allowed))}
        )
    return channel
