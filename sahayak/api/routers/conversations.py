from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Query, Router, Status
from ninja.errors import HttpError

from sahayak.accounts.models import Team, User
from sahayak.api.auth import current_user
from sahayak.api.schemas import (
    MAX_ID,
    ConversationCreate,
    ConversationDetail,
    ConversationMergeIn,
    ConversationOut,
    ConversationPage,
    ConversationPatch,
    Error,
    EventPage,
    LinkIn,
    MessageOut,
    MessagePage,
    ReplyIn,
    RetryIn,
    SnoozeIn,
)
from sahayak.contacts.models import Contact
from sahayak.conversations import events, queries, services
from sahayak.conversations.inbound import InboundMessage, InboundRejected
from sahayak.conversations.models import Conversation, ConversationMerge, Event, Inbox, Message
from sahayak.conversations.permissions import hidden_team_ids, visible_conversations
from sahayak.conversations.pipeline import ReceiveResult, receive, settle
from sahayak.pagination import keyset_page

router = Router(tags=["conversations"])


ROW_FIELDS = (
    "id",
    "subject",
    "status",
    "priority",
    "channel",
    "inbox_id",
    "contact_id",
    "contact__name",
    "assignee_id",
    "team_id",
    "language",
    "custom_fields",
    "created_at",
    "updated_at",
    "last_message_at",
    "waiting_since",
    "first_response_at",
    "reply_failed",
    "solved_at",
    "merged_into_id",
    "snoozed_until",
)


def conversation_for(user: User, conversation_id: int) -> Conversation:
    """The conversation if this user may see it; 404 otherwise (no existence leak)."""
    found = visible_conversations(user).filter(pk=conversation_id).first()
    if found is None:
        raise Http404("No such conversation.")
    return found


def _shape(row: dict[str, Any], tags: list[str]) -> dict[str, Any]:
    """A ``ROW_FIELDS`` row as ConversationOut expects it."""
    row["number"] = row["id"]
    row["contact"] = {"id": row.pop("contact_id"), "name": row.pop("contact__name")}
    row["tags"] = tags
    return row


def with_tags_and_contact(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Shape ``.values(*ROW_FIELDS)`` rows for ConversationOut, with one query for the tags."""
    if not rows:
        return rows
    tags = services.tags_by_conversation(row["id"] for row in rows)
    return [_shape(row, tags.get(row["id"], [])) for row in rows]


def conversation_row(user: User, conversation_id: int) -> dict[str, Any]:
    rows = list(visible_conversations(user).filter(pk=conversation_id).values(*ROW_FIELDS))
    if not rows:
        raise Http404("No such conversation.")
    return with_tags_and_contact(rows)[0]


def _messages(conversation_id: int) -> QuerySet[Message]:
    return Message.objects.filter(conversation_id=conversation_id).prefetch_related("attachments")


@router.get("", response=ConversationPage)
def list_conversations(
    request: HttpRequest,
    status: list[str] = Query(None),  # noqa: B008
    assignee_id: int | None = Query(None, ge=1, le=MAX_ID),
    unassigned: bool = False,
    team_id: int | None = Query(None, ge=1, le=MAX_ID),
    channel: str | None = Query(None, max_length=32),
    inbox_id: int | None = Query(None, ge=1, le=MAX_ID),
    tag: str | None = Query(None, max_length=64),
    priority: str | None = Query(None, max_length=16),
    contact_id: int | None = Query(None, ge=1, le=MAX_ID),
    reply_failed: bool = False,
    sort: str = Query("newest", pattern="^(newest|oldest|waiting)$"),
    cursor: str | None = None,
    limit: int = Query(50, ge=1, le=200),
):
    """Conversations the caller may see, filtered, in pages (pass ``next_cursor`` back).

    Merged-away conversations are left out. ``sort=waiting`` lists those waiting for an
    answer first (longest waiting first), then the others, newest first.
    """
    f = queries.ConversationFilter(
        statuses=status or [],
        unassigned=unassigned,
        assignee_id=assignee_id,
        team_id=team_id,
        channel=channel or "",
        inbox_id=inbox_id,
        tag=tag or "",
        priority=priority or "",
        contact_id=contact_id,
        reply_failed=reply_failed,
        sort=sort,
    )
    rows, next_cursor = queries.page(
        current_user(request), f, fields=ROW_FIELDS, cursor=cursor, limit=limit
    )
    return {"items": with_tags_and_contact(rows), "next_cursor": next_cursor}


@router.post(
    "", response={201: ConversationDetail, 200: ConversationDetail, 404: Error, 422: Error}
)
def create_conversation(request: HttpRequest, payload: ConversationCreate):
    """Open a conversation with the customer's first message (through the inbound pipeline)."""
    user = current_user(request)
    inbox = get_object_or_404(Inbox, pk=payload.inbox_id, is_active=True)
    if inbox.team_id is not None and inbox.team_id in hidden_team_ids(user):
        raise Http404("No such inbox.")  # a private team's inbox, as for its conversations
    kind, address, name = _sender(payload)
    inbound = InboundMessage(
        channel=inbox.channel,
        inbox=inbox,
        sender_kind=kind,
        sender_address=address,
        sender_name=name,
        subject=payload.subject,
        text=payload.text,
        html=payload.html,
        external_id=payload.external_id,
        locale=payload.locale,
    )
    patch = ConversationPatch(
        priority=payload.priority,
        tags=payload.tags or None,
        assignee_id=payload.assignee_id,
        team_id=payload.team_id,
    )
    fields = {
        name for name in ("priority", "tags", "assignee_id", "team_id") if getattr(patch, name)
    }
    try:
        result = _open_with_fields(inbound, user, patch, fields) if fields else receive(inbound)
    except InboundRejected as exc:
        raise HttpError(422, str(exc)) from exc
    if not result.created_conversation:
        return Status(200, _detail(user, result.conversation.pk))
    if fields:
        return Status(201, _detail(user, result.conversation.pk))
    return Status(201, _new_detail(result))


def _open_with_fields(
    inbound: InboundMessage, user: User, patch: ConversationPatch, fields: set[str]
) -> ReceiveResult:
    """One transaction: the conversation is opened with its priority, tags, assignee and
    team, or not at all (a refused field stores nothing). Its events are told together
    after the commit, so routing measures its SLA clocks once, as it is meant to be."""
    with events.held() as committed, transaction.atomic():
        result = receive(inbound)
        if result.created_conversation:
            _apply_patch(result.conversation, user, patch, fields=fields)
    events.announce(committed)
    return settle(result, inbound)


def _new_detail(result: ReceiveResult) -> dict[str, Any]:
    """The response for a just-opened conversation, from the rows in hand (no re-read)."""
    conversation, message = result.conversation, result.message
    row = {field: getattr(conversation, field) for field in ROW_FIELDS if "__" not in field}
    data = _shape({**row, "contact__name": result.contact.name}, tags=[])
    data.update(
        messages=[message],
        messages_next_cursor=None,
        related_ids=list(conversation.related.values_list("id", flat=True))
        if message.metadata.get("follows_conversation")
        else [],
    )
    return data


def _sender(payload: ConversationCreate) -> tuple[str, str, str]:
    if payload.sender is not None:
        return payload.sender.kind, payload.sender.address, payload.sender.name
    if payload.contact_id is None:
        raise HttpError(422, "Give either contact_id or sender.")
    contact = get_object_or_404(Contact, pk=payload.contact_id)
    if contact.merged_into_id:  # a merged contact's identities live on the surviving one
        contact = get_object_or_404(Contact, pk=contact.merged_into_id)
    identity = contact.identities.order_by("id").first()
    if identity is None:
        raise HttpError(422, "That contact has no identity to write from; give a sender.")
    return identity.kind, identity.address, contact.name


def _detail(user: User, conversation_id: int) -> dict[str, object]:
    data = conversation_row(user, conversation_id)
    messages, next_cursor = keyset_page(
        _messages(conversation_id), keys=["id"], cursor=None, limit=100
    )
    data["messages"] = messages
    data["messages_next_cursor"] = next_cursor
    data["related_ids"] = list(
        Conversation.related.through.objects.filter(
            from_conversation_id=conversation_id
        ).values_list("to_conversation_id", flat=True)
    )
    return data


@router.get("/{conversation_id}", response={200: ConversationDetail, 404: Error})
def get_conversation(request: HttpRequest, conversation_id: int):
    """A conversation with its first 100 messages (more through ``/messages``)."""
    return _detail(current_user(request), conversation_id)


@router.patch("/{conversation_id}", response={200: ConversationOut, 404: Error, 422: Error})
def update_conversation(request: HttpRequest, conversation_id: int, payload: ConversationPatch):
    """Change status, priority, assignee, team, tags or custom fields (null unassigns)."""
    user = current_user(request)
    conversation = conversation_for(user, conversation_id)
    _apply_patch(conversation, user, payload, fields=payload.model_fields_set)
    return conversation_row(user, conversation_id)


@transaction.atomic
def _apply_patch(
    conversation: Conversation, user: User, payload: ConversationPatch, fields: set[str]
) -> None:
    try:
        if "status" in fields and payload.status:
            services.set_status(conversation=conversation, status=payload.status, actor=user)
        if "priority" in fields and payload.priority:
            services.set_priority(conversation=conversation, priority=payload.priority, actor=user)
        if "assignee_id" in fields:
            assignee = None
            if payload.assignee_id is not None:
                assignee = get_object_or_404(User, pk=payload.assignee_id)
            services.assign(conversation=conversation, assignee=assignee, actor=user)
        if "team_id" in fields:
            team = get_object_or_404(Team, pk=payload.team_id) if payload.team_id else None
            services.set_team(conversation=conversation, team=team, actor=user)
        if "tags" in fields and payload.tags is not None:
            services.set_tags(conversation=conversation, names=payload.tags, actor=user)
        if "custom_fields" in fields and payload.custom_fields is not None:
            services.set_custom_fields(
                conversation=conversation, values=payload.custom_fields, actor=user
            )
    except services.ConversationError as exc:
        raise HttpError(422, str(exc)) from exc


@router.get("/{conversation_id}/messages", response={200: MessagePage, 404: Error})
def list_messages(
    request: HttpRequest,
    conversation_id: int,
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=500),
):
    return _timeline(request, conversation_id, _messages, cursor, limit)


@router.get("/{conversation_id}/events", response={200: EventPage, 404: Error})
def list_events(
    request: HttpRequest,
    conversation_id: int,
    cursor: str | None = None,
    limit: int = Query(100, ge=1, le=500),
):
    """The conversation's trail: every change, who made it and when, oldest first."""
    return _timeline(request, conversation_id, _events, cursor, limit)


def _events(conversation_id: int) -> QuerySet[Event]:
    return Event.objects.filter(conversation_id=conversation_id)


def _timeline(
    request: HttpRequest,
    conversation_id: int,
    rows: Callable[[int], QuerySet[Any]],
    cursor: str | None,
    limit: int,
) -> dict[str, Any]:
    """One page, oldest first, of a conversation's messages or events (after the access check)."""
    conversation = conversation_for(current_user(request), conversation_id)
    items, next_cursor = keyset_page(rows(conversation.pk), keys=["id"], cursor=cursor, limit=limit)
    return {"items": items, "next_cursor": next_cursor}


@router.post("/{conversation_id}/messages", response={201: MessageOut, 404: Error, 422: Error})
def post_message(request: HttpRequest, conversation_id: int, payload: ReplyIn):
    """Reply to the customer (sent in the background) or add an internal note."""
    user = current_user(request)
    conversation = conversation_for(user, conversation_id)
    try:
        message = services.reply(
            conversation=conversation,
            author=user,
            text=payload.text,
            html=payload.html,
            note=payload.note,
            channel=payload.channel,
        )
    except services.ConversationError as exc:
        raise HttpError(422, str(exc)) from exc
    return Status(201, message)


@router.post(
    "/{conversation_id}/messages/{message_id}/retry",
    response={200: MessageOut, 404: Error, 422: Error},
)
def retry_message(request: HttpRequest, conversation_id: int, message_id: int, payload: RetryIn):
    """Send a failed reply again (a new attempt), optionally on another channel."""
    user = current_user(request)
    conversation = conversation_for(user, conversation_id)
    message = get_object_or_404(Message, pk=message_id, conversation=conversation)
    try:
        return services.retry_reply(message=message, actor=user, channel=payload.channel)
    except services.ConversationError as exc:
        raise HttpError(422, str(exc)) from exc


@router.post("/{conversation_id}/snooze", response={200: dict, 404: Error, 422: Error})
def snooze(request: HttpRequest, conversation_id: int, payload: SnoozeIn):
    """Out of the open views (SLA clocks paused) until ``until`` or the customer writes."""
    user = current_user(request)
    conversation = conversation_for(user, conversation_id)
    try:
        services.snooze(conversation=conversation, until=payload.until, actor=user)
    except services.ConversationError as exc:
        raise HttpError(422, str(exc)) from exc
    return {"id": conversation.pk, "snoozed_until": conversation.snoozed_until}


@router.post("/{conversation_id}/wake", response={200: dict, 404: Error})
def wake(request: HttpRequest, conversation_id: int):
    """Back in the open views now."""
    user = current_user(request)
    conversation = conversation_for(user, conversation_id)
    services.wake(conversation=conversation, actor=user, reason="agent")
    return {"id": conversation.pk, "snoozed_until": None}


@router.post("/{conversation_id}/merge", response={200: dict, 404: Error, 409: Error})
def merge_into(request: HttpRequest, conversation_id: int, payload: ConversationMergeIn):
    """Merge conversation ``source_id`` into this one."""
    user = current_user(request)
    target = conversation_for(user, conversation_id)
    source = conversation_for(user, payload.source_id)
    try:
        merge = services.merge_conversations(source=source, target=target, actor=user)
    except services.ConversationError as exc:
        raise HttpError(409, str(exc)) from exc
    return {"merge_id": merge.pk, "target_id": target.pk, "source_id": source.pk}


@router.post("/merges/{merge_id}/undo", response={200: ConversationOut, 404: Error, 409: Error})
def undo_merge(request: HttpRequest, merge_id: int):
    user = current_user(request)
    merge = get_object_or_404(ConversationMerge, pk=merge_id)
    conversation_for(user, merge.target_id)
    try:
        source = services.undo_conversation_merge(merge=merge, actor=user)
    except services.ConversationError as exc:
        raise HttpError(409, str(exc)) from exc
    return conversation_row(user, source.pk)


@router.post("/{conversation_id}/links", response={204: None, 404: Error, 422: Error})
def link(request: HttpRequest, conversation_id: int, payload: LinkIn):
    user = current_user(request)
    a = conversation_for(user, conversation_id)
    b = conversation_for(user, payload.other_id)
    try:
        services.link_conversations(a=a, b=b, actor=user)
    except services.ConversationError as exc:
        raise HttpError(422, str(exc)) from exc
    return Status(204, None)


@router.delete("/{conversation_id}/links/{other_id}", response={204: None, 404: Error})
def unlink(request: HttpRequest, conversation_id: int, other_id: int):
    user = current_user(request)
    a = conversation_for(user, conversation_id)
    b = conversation_for(user, other_id)
    services.unlink_conversations(a=a, b=b, actor=user)
    return Status(204, None)
