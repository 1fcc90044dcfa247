"""One conversation: timeline, reply box, properties, customer panel; and its actions."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.core.files.storage import default_storage
from django.db.models import Count, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sahayak.accounts.models import Team, User
from sahayak.automation import macros
from sahayak.connectors.chat.services import visitor_of
from sahayak.connectors.email import side
from sahayak.connectors.email.models import SideConversation
from sahayak.conversations import channels, lookup, services
from sahayak.conversations.inbound import InboundAttachment
from sahayak.conversations.models import (
    OPEN_STATUSES,
    Attachment,
    Conversation,
    ConversationMerge,
    DeliveryStatus,
    Event,
    Message,
    Priority,
    Status,
)
from sahayak.conversations.permissions import hidden_team_ids
from sahayak.ids import parse_id
from sahayak.knowledge.articles import linked_to
from sahayak.knowledge.help_center import conversation_locale
from sahayak.routing import services as routing_services

from ..activity import describe
from ..customer import customer_panel
from .common import (
    active_agents,
    agent,
    conversation_for,
    htmx_done,
    htmx_failed,
    login_required,
)

TIMELINE_PAGE = 100
EVENTS_SHOWN = 20
MACROS_SHOWN = 50
# The reply box's emoji picker: the ones support answers use.
EMOJI = [
    "🙂",
    "😊",
    "🙏",
    "👍",
    "👋",
    "🎉",
    "✅",
    "❤️",
    "😔",
    "🤔",
    "📦",
    "🚚",
    "💳",
    "📧",
    "⏳",
    "⭐",
]


def _messages(conversation_id: int) -> QuerySet[Message]:
    return (
        Message.objects.filter(conversation_id=conversation_id)
        .select_related("author_user", "author_contact")
        .prefetch_related("attachments")
    )


def _page_of_messages(conversation_id: int, before: int | None) -> tuple[list[Message], bool]:
    """The newest TIMELINE_PAGE messages (before ``before``), oldest first."""
    qs = _messages(conversation_id).order_by("-id")
    if before:
        qs = qs.filter(id__lt=before)
    newest_first = list(qs[: TIMELINE_PAGE + 1])
    has_older = len(newest_first) > TIMELINE_PAGE
    return sorted(newest_first[:TIMELINE_PAGE], key=_written_order), has_older


def _written_order(message: Message) -> tuple[Any, int]:
    """Pages are cut by arrival (id); within a page, messages are in the order they were
    written, so a mail delayed in transit appears where it belongs."""
    return (message.written_at or message.created_at, message.pk)


def sla_context(conversation: Conversation) -> dict[str, Any]:
    """The conversation's SLA clocks as the side panel shows them."""
    row, measured = routing_services.sla_of(conversation)
    if row is None or row.policy is None or not measured:
        return {}
    states = {
        "running": _("running"),
        "paused": _("paused"),
        "met": _("met"),
        "missed": _("missed"),
    }
    clocks = [
        {
            "metric": metric,
            "state": clock["state"],
            "state_label": states.get(clock["state"], clock["state"]),
            "due": parse_datetime(clock["due"]) if clock.get("due") else None,
        }
        for metric, clock in measured.items()
    ]
    return {"sla_policy": row.policy, "sla_clocks": clocks, "sla_warn": row.policy.warn_minutes}


def _side_context(request: HttpRequest, conversation: Conversation) -> dict[str, Any]:
    user = agent(request)
    panel = customer_panel(user, conversation.contact, exclude_conversation=conversation.pk)
    related = list(conversation.related.values("id", "subject", "status").order_by("-id")[:20])
    return {
        "c": conversation,
        "customer": panel,
        "visitor": visitor_of(conversation),
        "agents": active_agents(),
        "teams": Team.objects.exclude(pk__in=hidden_team_ids(user)).order_by("name"),
        "statuses": Status.choices,
        "open_statuses": [str(s) for s in OPEN_STATUSES],
        "priorities": Priority.choices,
        "tags": ", ".join(conversation.tags.order_by("name").values_list("name", flat=True)),
        "related": related,
        **sla_context(conversation),
        "articles_used": linked_to(conversation, conversation_locale(conversation)),
        "side_conversations": side.of_conversation(conversation),
        "reply_channels": services.reply_channels(
            conversation, [identity.kind for identity in panel.identities]
        ),
    }


@login_required
def conversation_page(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_for(request, conversation_id)
    if conversation.merged_into_id:
        messages.info(
            request,
            _("Conversation #%(a)d was merged into #%(b)d.")
            % {"a": conversation.pk, "b": conversation.merged_into_id},
        )
    timeline, has_older = _page_of_messages(conversation.pk, parse_id(request.GET.get("before")))
    context = _side_context(request, conversation)
    context.update(
        timeline=timeline,
        has_older=has_older,
        oldest_id=min((m.pk for m in timeline), default=0),
        events=describe(
            list(
                Event.objects.filter(conversation=conversation)
                .select_related("actor")
                .order_by("-id")[:EVENTS_SHOWN]
            )
        ),
        open_merges=list(
            ConversationMerge.objects.filter(target=conversation, undone_at__isnull=True)
            .order_by("-id")
            .values("id", "source_id")[:5]
        ),
        macros=list(macros.visible_to(agent(request))[:MACROS_SHOWN]),
        reply_window=_reply_window(conversation),
        emoji=EMOJI,
    )
    if context["reply_window"] and context["reply_window"]["closed"]:
        # Free text would be refused on that channel: it is not offered (templates are).
        context["reply_channels"] = [
            kind for kind in context["reply_channels"] if kind != conversation.channel
        ]
    return render(request, "web/conversation.html", context)


def _reply_window(conversation: Conversation) -> dict[str, Any] | None:
    """The conversation's channel's reply window: when it closes and where its templates
    are, or None for a channel without one."""
    closes_at = services.window_closes_at(conversation, conversation.channel)
    if closes_at is None:
        return None
    channel = channels.get_channel(conversation.channel)
    return {
        "closes_at": closes_at,
        "closed": closes_at <= timezone.now(),
        "reason": services.window_closed_reason(conversation.channel),
        "templates_url": channel.templates_url,
    }


@login_required
def timeline_after(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Messages newer than ``after`` (the browser appends the ones it does not have)."""
    conversation = conversation_for(request, conversation_id)
    qs = _messages(conversation.pk).filter(id__gt=parse_id(request.GET.get("after")) or 0)
    timeline = list(qs.order_by("id")[:TIMELINE_PAGE])
    return render(
        request,
        "web/partials/messages.html",
        {"timeline": timeline, "c": conversation, **_retry_context(conversation, timeline)},
    )


def _retry_context(conversation: Conversation, shown: list[Message]) -> dict[str, Any]:
    """The channels a failed reply among ``shown`` can be sent again on (none to retry: {})."""
    if not any(m.delivery_status == DeliveryStatus.FAILED for m in shown):
        return {}
    return {"reply_channels": services.reply_channels(conversation)}


@login_required
def message_fragment(request: HttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    conversation = conversation_for(request, conversation_id)
    message = get_object_or_404(_messages(conversation.pk), pk=message_id)
    return render(
        request,
        "web/partials/message.html",
        {"m": message, "c": conversation, **_retry_context(conversation, [message])},
    )


@login_required
def side_fragment(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_for(request, conversation_id)
    return render(request, "web/partials/side.html", _side_context(request, conversation))


@login_required
@require_POST
def post_reply(request: HttpRequest, conversation_id: int) -> HttpResponse:
    user = agent(request)
    conversation = conversation_for(request, conversation_id)
    note = request.POST.get("kind") == "note"
    try:
        services.answer(
            conversation=conversation,
            author=user,
            text=request.POST.get("text", ""),
            note=note,
            channel=request.POST.get("channel") or None,
            files=uploaded_files(request),
            claim=request.POST.get("claim") == "1",
            then_status="" if note else request.POST.get("then_status", ""),
            copies={
                kind: request.POST.get(kind, "").replace(";", ",").split(",")
                for kind in ("cc", "bcc")
            },
        )
    except services.ConversationError as exc:
        return htmx_failed(request, conversation, str(exc))
    return htmx_done(request, conversation, "sahayak:timeline", "sahayak:side")


def uploaded_files(request: HttpRequest) -> list[InboundAttachment]:
    """The files sent with the reply box (chosen, dropped or pasted)."""
    return [
        InboundAttachment(
            filename=upload.name or "attachment",
            content_type=upload.content_type or "application/octet-stream",
            content=upload.read(),
        )
        for upload in request.FILES.getlist("files")[: services.MAX_REPLY_FILES + 1]
    ]


@login_required
@require_POST
def retry_reply(request: HttpRequest, conversation_id: int, message_id: int) -> HttpResponse:
    """Send a failed reply again, on its channel or on another the customer has."""
    conversation = conversation_for(request, conversation_id)
    message = get_object_or_404(Message, pk=message_id, conversation=conversation)
    try:
        services.retry_reply(
            message=message, actor=agent(request), channel=request.POST.get("channel") or None
        )
    except services.ConversationError as exc:
        return htmx_failed(request, conversation, str(exc))
    return htmx_done(request, conversation, "sahayak:timeline")


@login_required
@require_POST
def update_properties(request: HttpRequest, conversation_id: int) -> HttpResponse:
    user = agent(request)
    conversation = conversation_for(request, conversation_id)
    data = request.POST
    try:
        _apply(conversation, user, data)
    except services.ConversationError as exc:
        return htmx_failed(request, conversation, str(exc))
    return htmx_done(request, conversation, "sahayak:side")


def _apply(conversation: Conversation, user: User, data: Any) -> None:
    if "status" in data:
        services.set_status(conversation=conversation, status=data["status"], actor=user)
    if "priority" in data:
        services.set_priority(conversation=conversation, priority=data["priority"], actor=user)
    if "assignee" in data:
        assignee = None
        if data["assignee"]:
            assignee = User.objects.filter(pk=_id(data["assignee"])).first()
            if assignee is None:
                raise services.ConversationError(_("No such agent."))
        services.assign(conversation=conversation, assignee=assignee, actor=user)
    if "team" in data:
        team = None
        if data["team"]:
            visible_teams = Team.objects.exclude(pk__in=hidden_team_ids(user))
            team = visible_teams.filter(pk=_id(data["team"])).first()
            if team is None:
                raise services.ConversationError(_("No such team."))
        services.set_team(conversation=conversation, team=team, actor=user)
    if "tags" in data:
        services.set_tags(conversation=conversation, names=data["tags"].split(","), actor=user)
    key = data.get("field_name", "").strip()[:64]
    if key:
        services.set_custom_fields(
            conversation=conversation,
            values={key: data.get("field_value", "")[:1000]},
            actor=user,
        )


def _id(value: str) -> int:
    number = parse_id(value)
    if number is None:
        raise services.ConversationError(_("Invalid choice."))
    return number


def _other(request: HttpRequest, field: str) -> Conversation:
    number = parse_id(request.POST.get(field))
    if number is None:
        raise Http404
    return conversation_for(request, number)


@login_required
def merge(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Merge this conversation into another (its messages move there; undoable): pick the
    target by search, see both side by side, confirm (twice over when the customers
    differ)."""
    user = agent(request)
    source = conversation_for(request, conversation_id)
    picked = parse_id((request.POST or request.GET).get("target", "").lstrip("#"))
    target = conversation_for(request, picked) if picked is not None else None
    if request.method == "POST" and target is not None:
        differ = target.contact_id != source.contact_id
        if request.POST.get("confirm") == "1" and (
            not differ or request.POST.get("customers_differ") == "1"
        ):
            try:
                services.merge_conversations(source=source, target=target, actor=user)
            except services.ConversationError as exc:
                messages.error(request, str(exc))
                return redirect("web:conversation", source.pk)
            messages.success(
                request,
                _("Conversation #%(a)d was merged into this one.") % {"a": source.pk},
            )
            return redirect("web:conversation", target.pk)
        if request.POST.get("confirm") == "1":
            messages.error(
                request,
                _(
                    "These conversations are with different customers: tick the box to merge them anyway."
                ),
            )
    query = request.GET.get("q", "")
    return render(
        request,
        "web/merge.html",
        {
            "c": source,
            "target": target,
            "query": query,
            "candidates": [] if target else lookup.merge_candidates(user, source, query),
            "customers_differ": target is not None and target.contact_id != source.contact_id,
            "counts": _message_counts([source.pk, target.pk] if target else [source.pk]),
        },
    )


def _message_counts(conversation_ids: list[int]) -> dict[int, int]:
    rows = (
        Message.objects.filter(conversation_id__in=conversation_ids)
        .values("conversation_id")
        .annotate(n=Count("id"))
    )
    return {row["conversation_id"]: row["n"] for row in rows}


@login_required
@require_POST
def undo_merge(request: HttpRequest, merge_id: int) -> HttpResponse:
    user = agent(request)
    merge_row = get_object_or_404(ConversationMerge, pk=merge_id)
    conversation_for(request, merge_row.target_id)
    try:
        source = services.undo_conversation_merge(merge=merge_row, actor=user)
    except services.ConversationError as exc:
        messages.error(request, str(exc))
        return redirect("web:conversation", merge_row.target_id)
    messages.success(request, _("Merge undone."))
    return redirect("web:conversation", source.pk)


@login_required
@require_POST
def link(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_for(request, conversation_id)
    other = _other(request, "other")
    try:
        services.link_conversations(a=conversation, b=other, actor=agent(request))
    except services.ConversationError as exc:
        return htmx_failed(request, conversation, str(exc))
    return htmx_done(request, conversation, "sahayak:side")


@login_required
@require_POST
def unlink(request: HttpRequest, conversation_id: int, other_id: int) -> HttpResponse:
    conversation = conversation_for(request, conversation_id)
    other = conversation_for(request, other_id)
    services.unlink_conversations(a=conversation, b=other, actor=agent(request))
    return htmx_done(request, conversation, "sahayak:side")


@login_required
def raw_email(request: HttpRequest, conversation_id: int, message_id: int) -> FileResponse:
    """The email exactly as it arrived (for headers, or to forward it elsewhere)."""
    conversation = conversation_for(request, conversation_id)
    message = get_object_or_404(Message, pk=message_id, conversation=conversation)
    path = (message.metadata.get("email") or {}).get("raw")
    if not path or not default_storage.exists(path):
        raise Http404(_("The original of this message is not kept."))
    return FileResponse(
        default_storage.open(path, "rb"),
        as_attachment=True,
        filename=f"message-{message.pk}.eml",
        content_type="message/rfc822",
    )


@login_required
def attachment(request: HttpRequest, conversation_id: int, attachment_id: int) -> FileResponse:
    conversation = conversation_for(request, conversation_id)
    item = get_object_or_404(Attachment, pk=attachment_id, message__conversation=conversation)
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.filename)


def snooze_until(preset: str, typed: str, now: datetime) -> datetime | None:
    """When a snooze ends: a preset ("1h", "tomorrow", "monday" at 9:00 in the agent's time
    zone) or a typed local date and time; None if neither reads as a time."""
    local = timezone.localtime(now)
    nine = time(9, 0)
    if preset == "1h":
        return now + timedelta(hours=1)
    if preset == "tomorrow":
        day = local.date() + timedelta(days=1)
        return timezone.make_aware(datetime.combine(day, nine))
    if preset == "monday":
        day = local.date() + timedelta(days=7 - local.weekday())
        return timezone.make_aware(datetime.combine(day, nine))
    parsed = parse_datetime(typed.strip()) if typed.strip() else None
    if parsed is None:
        return None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


@login_required
@require_POST
def snooze(request: HttpRequest, conversation_id: int) -> HttpResponse:
    user = agent(request)
    conversation = conversation_for(request, conversation_id)
    try:
        until = snooze_until(
            request.POST.get("preset", ""), request.POST.get("until", ""), timezone.now()
        )
    except ValueError:
        until = None
    if until is None:
        return htmx_failed(request, conversation, _("Choose when the conversation comes back."))
    try:
        services.snooze(conversation=conversation, until=until, actor=user)
    except services.ConversationError as exc:
        return htmx_failed(request, conversation, str(exc))
    return htmx_done(request, conversation, "sahayak:side")


@login_required
@require_POST
def wake(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_for(request, conversation_id)
    services.wake(conversation=conversation, actor=agent(request), reason="agent")
    return htmx_done(request, conversation, "sahayak:side")


@login_required
@require_POST
def side_start(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """An email thread with a third party, from inside this conversation."""
    conversation = conversation_for(request, conversation_id)
    try:
        side.start(
            conversation=conversation,
            author=agent(request),
            to=request.POST.get("to", "").replace(";", ",").split(","),
            subject=request.POST.get("subject", ""),
            text=request.POST.get("text", ""),
        )
    except side.SideError as exc:
        return htmx_failed(request, conversation, str(exc))
    return htmx_done(request, conversation, "sahayak:side")


@login_required
@require_POST
def side_reply(request: HttpRequest, conversation_id: int, side_id: int) -> HttpResponse:
    conversation = conversation_for(request, conversation_id)
    thread = get_object_or_404(SideConversation, pk=side_id, conversation=conversation)
    try:
        side.send(side=thread, author=agent(request), text=request.POST.get("text", ""))
    except side.SideError as exc:
        return htmx_failed(request, conversation, str(exc))
    return htmx_done(request, conversation, "sahayak:side")
