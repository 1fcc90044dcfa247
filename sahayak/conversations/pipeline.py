"""The one inbound pipeline: every channel's message ends here.

receive() resolves the contact, threads the message into a conversation (or opens one),
stores it idempotently and announces ``message_received`` after commit. A caller acknowledges
the message to its source only after receive() has returned.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sahayak.contacts.identities import normalize_address
from sahayak.contacts.models import Contact
from sahayak.contacts.services import resolve_contact

from . import attachments
from .events import EventKind, record
from .inbound import InboundMessage, InboundRejected
from .models import (
    Conversation,
    Direction,
    Message,
    Status,
    ThreadReference,
)
from .text import detect_language, html_to_text, sanitize_html

if TYPE_CHECKING:
    from .burst import Burst

logger = logging.getLogger(__name__)

ATTEMPTS = 4
WRITTEN_AT_LIMIT = timedelta(days=31)


@dataclass(frozen=True)
class ReceiveResult:
    message: Message
    conversation: Conversation
    contact: Contact
    duplicate: bool = False
    created_conversation: bool = False


def receive(inbound: InboundMessage) -> ReceiveResult:
    """Store ``inbound`` exactly once and return where it went."""
    _validate(inbound)
    for attempt in range(ATTEMPTS):
        existing = _existing(inbound)
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                result = _store(inbound)
        except IntegrityError:
            # Lost a race: another delivery of this message (or of this new customer's
            # first message) committed first. The next round reads the winner's rows.
            logger.info("receive: retrying after a concurrent insert (attempt %d)", attempt + 1)
            continue
        if not transaction.get_connection().in_atomic_block:
            result = settle(result, inbound)
        return result
    existing = _existing(inbound)
    if existing is not None:
        return existing
    raise RuntimeError("inbound message could not be stored after concurrent retries")


def settle(result: ReceiveResult, inbound: InboundMessage) -> ReceiveResult:
    """After the commit: the thread as it stands once concurrent deliveries are in (see
    ``_rejoined``). ``receive()`` does it itself; a caller that stored inside its own
    transaction calls it after that commits."""
    if inbound.external_id and not result.duplicate and _may_be_split(result):
        return _rejoined(result, _reference_keys(inbound))
    return result


def _may_be_split(result: ReceiveResult) -> bool:
    """A new conversation may belong to a thread stored meanwhile; a message joining an
    existing one may be the missing link to another (a reply that arrived before it)."""
    if result.created_conversation:
        return True
    from .threads import referred_from_elsewhere

    return referred_from_elsewhere(result.message)


def _rejoined(result: ReceiveResult, refs: list[str]) -> ReceiveResult:
    """After the commit: if a concurrent delivery split this thread, join it again. A
    caller storing inside its own transaction checks after its commit instead
    (see connectors.email.inbound.ingest_many)."""
    from .threads import rejoin_split_message

    kept = rejoin_split_message(result.message, refs)
    if kept is None:
        return result
    return ReceiveResult(result.message, kept, result.contact, created_conversation=False)


def _validate(inbound: InboundMessage) -> None:
    if not inbound.text.strip() and not inbound.html.strip() and not inbound.attachments:
        raise InboundRejected(_("The message is empty."))
    # HTML carries markup around the text: it may be a few times longer.
    too_long = len(inbound.html) > 5 * settings.SAHAYAK_MAX_MESSAGE_CHARS
    if too_long or len(inbound.text) > settings.SAHAYAK_MAX_MESSAGE_CHARS:
        raise InboundRejected(
            _("The message is longer than %(n)d characters.")
            % {"n": settings.SAHAYAK_MAX_MESSAGE_CHARS}
        )
    if inbound.external_id is not None and not (0 < len(inbound.external_id) <= 255):
        raise InboundRejected(_("An external id must have 1 to 255 characters."))
    for attachment in inbound.attachments:
        if len(attachment.content) > settings.SAHAYAK_MAX_ATTACHMENT_BYTES:
            raise InboundRejected(
                _("Attachment %(name)s is larger than %(n)d bytes.")
                % {"name": attachment.filename, "n": settings.SAHAYAK_MAX_ATTACHMENT_BYTES}
            )


def _existing(inbound: InboundMessage) -> ReceiveResult | None:
    if inbound.external_id is None:
        return None
    # A cheap index probe first: the full rows are only loaded for an actual duplicate.
    found = Message.objects.filter(
        channel=inbound.channel, external_id=inbound.external_id
    ).values_list("pk", flat=True)
    if not found:
        return None
    message = Message.objects.select_related("conversation", "conversation__contact").get(
        pk=found[0]
    )
    conversation = message.conversation
    return ReceiveResult(message, conversation, conversation.contact, duplicate=True)


def _store(inbound: InboundMessage, batch: Burst | None = None) -> ReceiveResult:
    text = inbound.text or html_to_text(inbound.html)
    # Detected once, up front: a new contact is created with it (no later UPDATE).
    language = inbound.locale or detect_language(text)
    try:
        contact = (batch.contact if batch else _contact)(
            kind=inbound.sender_kind,
            address=inbound.sender_address,
            name=inbound.sender_name,
            locale=language,
        )
        # Which of the customer's identities wrote it: an undone merge moves the message
        # (and a conversation it opened) with that identity.
        inbound.metadata["sender"] = [
            inbound.sender_kind,
            normalize_address(inbound.sender_kind, inbound.sender_address),
        ]
    except ValueError as exc:
        raise InboundRejected(str(exc)) from exc
    now = timezone.now()
    conversation = _thread(inbound, contact, batch)
    created = conversation is None
    if conversation is None:
        conversation = _open_conversation(inbound, contact, text, language, now)
    else:
        _touch(conversation, now)
    message = Message(
        conversation=conversation,
        direction=Direction.INBOUND,
        channel=inbound.channel,
        author_contact=contact,
        text=text,
        html=sanitize_html(inbound.html),
        external_id=inbound.external_id,
        metadata=inbound.metadata,
        written_at=_plausible(inbound.written_at, now),
    )
    if batch is not None and not inbound.attachments:
        batch.rows.add(message)  # inserted with the burst's other rows before its commit
    else:
        if batch is not None:
            batch.rows.flush()  # earlier messages keep the lower ids
        message.save(force_insert=True)
    attachments.store(message, inbound.attachments)
    references = []
    if inbound.references or inbound.loose_references:
        references = _remember_references(message, inbound, batch)
    if batch is not None:
        batch.stored(message, conversation, contact, references)
    record(
        EventKind.MESSAGE_RECEIVED,
        conversation,
        message=message,
        persist=False,
        created_conversation=created,
    )
    return ReceiveResult(message, conversation, contact, created_conversation=created)


def _plausible(written_at: datetime | None, now: datetime) -> datetime | None:
    """A sender's clock is trusted within reason: never in the future, at most a month
    in the past (a wrong clock must not bury a message at the top of the timeline)."""
    if written_at is None or written_at > now or written_at < now - WRITTEN_AT_LIMIT:
        return None
    return written_at


def _contact(*, kind: str, address: str, name: str, locale: str) -> Contact:
    return resolve_contact(kind=kind, address=address, name=name, locale=locale)[0]


def _follow_merges(conversation: Conversation, batch: Burst | None = None) -> Conversation:
    seen = set()
    while conversation.merged_into_id and conversation.pk not in seen:
        seen.add(conversation.pk)
        merged_into = conversation.merged_into_id
        found = batch.conversation(merged_into) if batch else None
        conversation = found or Conversation.objects.get(pk=merged_into)
    return conversation


def _thread(
    inbound: InboundMessage, contact: Contact, batch: Burst | None = None
) -> Conversation | None:
    """The conversation this message continues, or None to open a new one."""
    found = _find_thread(inbound, contact, batch)
    if found is None:
        return None
    if batch is not None:
        found = batch.same(found)
    found = _follow_merges(found, batch)
    if found.status == Status.CLOSED and inbound.inbox.config.get("on_closed", "new") == "new":
        inbound.metadata.setdefault("follows_conversation", found.pk)
        return None
    return found


def _find_thread(
    inbound: InboundMessage, contact: Contact, batch: Burst | None = None
) -> Conversation | None:
    """The rules of InboundMessage's docstring, strongest first. A burst answers the
    reference rules from what it read up front and stored since."""
    by_references = batch.by_references if batch else _by_references
    if inbound.conversation_id is not None:
        if batch is not None:
            found = batch.conversation(inbound.conversation_id)
        else:
            found = Conversation.objects.filter(pk=inbound.conversation_id).first()
        if found is not None:
            return found
    found = by_references(inbound.channel, inbound.references)
    if found is None and inbound.external_id:
        found = (batch.referring_to if batch else _referring_to)(
            inbound.channel, inbound.external_id
        )
    if found is None and inbound.claimed_conversation_id is not None:
        if batch is not None:
            claimed = batch.conversation(inbound.claimed_conversation_id)
            found = claimed if claimed and claimed.contact_id == contact.pk else None
        else:
            found = Conversation.objects.filter(
                pk=inbound.claimed_conversation_id, contact=contact
            ).first()
    if found is None and inbound.loose_references:
        found = by_references(inbound.channel, inbound.loose_references)
    if found is None and inbound.thread_key:
        found = (
            Conversation.objects.filter(inbox=inbound.inbox, thread_key=inbound.thread_key)
            .order_by("-id")
            .first()
        )
    if found is None and inbound.subject_key and inbound.subject_window:
        found = _by_subject(inbound, contact)
    return found


def _by_references(channel: str, refs: list[str]) -> Conversation | None:
    """A stored message (ours or the customer's) with one of ``refs`` as its id, else a
    message that referred to one of them too (a sibling reply)."""
    refs = [ref[:255] for ref in refs if ref][-50:]
    if not refs:
        return None
    parent = (
        Message.objects.filter(channel=channel, external_id__in=refs)
        .select_related("conversation")
        .order_by("-id")
        .first()
    )
    if parent is not None:
        return parent.conversation
    sibling = (
        ThreadReference.objects.filter(channel=channel, ref__in=refs)
        .select_related("conversation")
        .order_by("-id")
        .first()
    )
    return sibling.conversation if sibling else None


def _referring_to(channel: str, external_id: str) -> Conversation | None:
    """A reply delivered before this message (its parent) already opened the thread."""
    child = (
        ThreadReference.objects.filter(channel=channel, ref=external_id[:255])
        .select_related("conversation")
        .order_by("id")
        .first()
    )
    return child.conversation if child else None


def _by_subject(inbound: InboundMessage, contact: Contact) -> Conversation | None:
    assert inbound.subject_window is not None
    since = timezone.now() - inbound.subject_window
    recent = Conversation.objects.filter(
        contact=contact,
        inbox=inbound.inbox,
        merged_into__isnull=True,
        last_message_at__gte=since,
    ).order_by("-id")[:20]
    for conversation in recent:
        if conversation.subject.strip().casefold() == inbound.subject_key:
            return conversation
    return None


def _reference_keys(inbound: InboundMessage) -> list[str]:
    """The references a message is remembered by (the last 50, never its own id)."""
    refs = dict.fromkeys(ref[:255] for ref in inbound.references + inbound.loose_references)
    refs.pop("", None)
    if inbound.external_id:
        refs.pop(inbound.external_id[:255], None)
    return list(refs)[-50:]


def _remember_references(
    message: Message, inbound: InboundMessage, batch: Burst | None = None
) -> list[ThreadReference]:
    rows = [
        ThreadReference(
            channel=inbound.channel,
            ref=ref,
            conversation=message.conversation,
            message=message,
        )
        for ref in _reference_keys(inbound)
    ]
    if batch is None:
        return ThreadReference.objects.bulk_create(rows)
    for row in rows:
        batch.rows.add(row)
    return rows


def _open_conversation(
    inbound: InboundMessage, contact: Contact, text: str, language: str, now: datetime
) -> Conversation:
    if language and not contact.locale:
        contact.locale = language
        contact.save(update_fields=["locale", "updated_at"])
    # Not told with confidence: what the customer used before, else the inbox's language;
    # never a guess the customer did not write in.
    language = language or contact.locale or str(inbound.inbox.config.get("language", ""))
    subject = inbound.subject.strip() or text.strip().split("\n", 1)[0][:120]
    conversation = Conversation.objects.create(
        subject=subject[:300],
        channel=inbound.channel,
        inbox=inbound.inbox,
        contact=contact,
        team_id=inbound.inbox.team_id,
        language=language[:16],
        thread_key=inbound.thread_key[:255],
        last_message_at=now,
        waiting_since=None if inbound.spam else now,
        status=Status.SPAM if inbound.spam else Status.NEW,
        status_changed_at=now,
    )
    follows = inbound.metadata.get("follows_conversation")
    if follows:
        conversation.related.add(follows)
    extra = {"follows": follows} if follows else {}
    record(
        EventKind.CREATED,
        conversation,
        old=None,
        new=conversation.status,
        channel=inbound.channel,
        **extra,
    )
    return conversation


def _touch(conversation: Conversation, now: datetime) -> None:
    """A customer wrote again: the conversation wants attention."""
    conversation.last_message_at = now
    fields = ["last_message_at", "updated_at"]
    if conversation.waiting_since is None:
        conversation.waiting_since = now
        fields.append("waiting_since")
    if conversation.snoozed_until is not None:
        record(
            EventKind.WOKEN,
            conversation,
            old=conversation.snoozed_until.isoformat(),
            reason="customer_reply",
        )
        conversation.snoozed_until = None
        fields.append("snoozed_until")
    if conversation.status in (Status.PENDING, Status.ON_HOLD, Status.SOLVED, Status.CLOSED):
        record(
            EventKind.STATUS,
            conversation,
            old=conversation.status,
            new=Status.OPEN,
            reason="customer_reply",
        )
        conversation.status = Status.OPEN
        conversation.status_changed_at = timezone.now()
        conversation.solved_at = None
        fields += ["status", "status_changed_at", "solved_at"]
    conversation.save(update_fields=fields)
