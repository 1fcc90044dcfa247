"""What a rule does: each action type with its check (when the rule is saved) and its run.

Actions change the conversation through the core's services, so every change is a typed
event like an agent's, recorded as the system's (no actor) with the rule in its cause
chain. Messages to the customer (a reply, a canned reply in their language, the
acknowledgement, the answer bot) are never sent to robots (automated mail, bulk senders,
mailer-daemons, spam, unverified senders) and never twice to one customer message. Calls
to other systems (a webhook, a mail to someone) go through the outbox: signed, retried,
logged.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sahayak import crypto
from sahayak.accounts.models import Team, User
from sahayak.conversations import services
from sahayak.conversations.inbound import doubtful_sender
from sahayak.conversations.models import (
    OPEN_STATUSES,
    Conversation,
    Message,
    Priority,
    Status,
)
from sahayak.integrations import outbox
from sahayak.language.romanise import in_customer_script
from sahayak.notifications.models import Kind
from sahayak.notifications.services import notify_users

from . import canned, placeholders
from .conditions import Facts
from .models import CannedReply, Rule, RuleAnswer, RuleRun

logger = logging.getLogger(__name__)


class ActionError(ValueError):
    """An action that cannot be stored or done as given (the message says why)."""


@dataclass
class Context:
    """One rule's run on one conversation."""

    rule: Rule
    facts: Facts
    run: RuleRun
    trigger: str
    values: dict[str, str] | None = None
    done: list[dict[str, Any]] = field(default_factory=list)

    @property
    def conversation(self) -> Conversation:
        return self.facts.conversation

    @property
    def source(self) -> str:
        return f"rule:{self.rule.pk}"

    def placeholder_values(self) -> dict[str, str]:
        if self.values is None:
            self.values = canned.values_for(self.conversation, self.conversation.assignee)
        return self.values


@dataclass(frozen=True)
class ActionType:
    label: Any
    clean: Callable[[dict[str, Any]], dict[str, Any]]
    run: Callable[[Context, dict[str, Any]], str]
    # Writes to the customer: never to robots, never twice to one message.
    answers: bool = False


# --- checks ------------------------------------------------------------------------------


def _choice(values: Any, what: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def clean(action: dict[str, Any]) -> dict[str, Any]:
        if action.get("value") not in values:
            raise ActionError(
                _("Unknown %(what)s: %(v)s") % {"what": what, "v": action.get("value")}
            )
        return {"value": action["value"]}

    return clean


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _clean_tags(action: dict[str, Any]) -> dict[str, Any]:
    value = action.get("value")
    tags = services.normalize_tags(str(t) for t in (value if isinstance(value, list) else [value]))
    if not tags:
        raise ActionError(_("Give a tag name."))
    return {"value": tags}


def _clean_assign(action: dict[str, Any]) -> dict[str, Any]:
    value = action.get("value")
    if value in (None, "", "nobody"):
        return {"value": None}
    if value == "routing":
        return {"value": "routing"}
    if not User.objects.filter(pk=_int(value), is_active=True).exists():
        raise ActionError(_("No such agent."))
    return {"value": _int(value)}


def _clean_team(action: dict[str, Any]) -> dict[str, Any]:
    value = action.get("value")
    if value in (None, ""):
        return {"value": None}
    if not Team.objects.filter(pk=_int(value)).exists():
        raise ActionError(_("No such team."))
    return {"value": _int(value)}


def _clean_field(action: dict[str, Any]) -> dict[str, Any]:
    name = str(action.get("name") or "").strip()
    if not name or len(name) > 64:
        raise ActionError(_("Name the field to set."))
    return {"name": name, "value": str(action.get("value") or "")[:500]}


def _checked_text(text: Any, required: bool = True) -> str:
    text = str(text or "")
    if required and not text.strip():
        raise ActionError(_("This action needs a text."))
    try:
        placeholders.check(text)
    except placeholders.PlaceholderError as exc:
        raise ActionError(_("Placeholder error: %(e)s") % {"e": exc}) from exc
    return text[:20_000]


def _clean_text(action: dict[str, Any]) -> dict[str, Any]:
    return {"text": _checked_text(action.get("text"))}


def _clean_reply(action: dict[str, Any]) -> dict[str, Any]:
    reply_id = action.get("canned_reply_id")
    if reply_id:
        if not CannedReply.objects.filter(pk=_int(reply_id), owner__isnull=True).exists():
            raise ActionError(_("A rule can only use shared canned replies."))
        return {"canned_reply_id": _int(reply_id)}
    return _clean_text(action)


def _clean_email(action: dict[str, Any]) -> dict[str, Any]:
    to = str(action.get("to") or "").strip()
    try:
        validate_email(to)
    except Exception as exc:
        raise ActionError(_("Give one valid email address.")) from exc
    subject = _checked_text(action.get("subject"))[:200]
    return {"to": to, "subject": subject, "text": _checked_text(action.get("text"))}


def _clean_notify(action: dict[str, Any]) -> dict[str, Any]:
    user, team = _int(action.get("user")), _int(action.get("team"))
    if user and not User.objects.filter(pk=user, is_active=True).exists():
        raise ActionError(_("No such agent."))
    if team and not Team.objects.filter(pk=team).exists():
        raise ActionError(_("No such team."))
    if not user and not team:
        raise ActionError(_("Notify whom? Choose an agent or a team."))
    kept: dict[str, Any] = {"text": _checked_text(action.get("text"), required=False)[:300]}
    if user:
        kept["user"] = user
    if team:
        kept["team"] = team
    return kept


def _clean_webhook(action: dict[str, Any]) -> dict[str, Any]:
    from urllib.parse import urlsplit

    url = str(action.get("url") or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise ActionError(_("Give the webhook's http(s) address."))
    secret = str(action.get("secret") or "")
    if secret and not crypto.is_encrypted(secret):
        secret = crypto.encrypt(secret)
    return {"url": url, "secret": secret}


def _nothing(action: dict[str, Any]) -> dict[str, Any]:
    return {}


def _clean_merge(action: dict[str, Any]) -> dict[str, Any]:
    days = _int(action.get("days") or 30)
    if not 1 <= days <= 365:
        raise ActionError(_("Give a whole number from %(a)d to %(b)d.") % {"a": 1, "b": 365})
    return {"days": days}


# --- runs --------------------------------------------------------------------------------


def _status(ctx: Context, action: dict[str, Any]) -> str:
    services.set_status(conversation=ctx.conversation, status=action["value"], actor=None)
    return ""


def _priority(ctx: Context, action: dict[str, Any]) -> str:
    services.set_priority(conversation=ctx.conversation, priority=action["value"], actor=None)
    return ""


def _tags(adding: bool) -> Callable[[Context, dict[str, Any]], str]:
    def run(ctx: Context, action: dict[str, Any]) -> str:
        current = set(ctx.facts.tags)
        wanted = current | set(action["value"]) if adding else current - set(action["value"])
        services.set_tags(conversation=ctx.conversation, names=wanted, actor=None)
        ctx.facts.forget_tags()
        return ""

    return run


def _assign(ctx: Context, action: dict[str, Any]) -> str:
    value = action["value"]
    if value == "routing":
        from sahayak.routing import assignment

        # Back to the queue; the routing policy hands it out once this run has committed.
        services.assign(conversation=ctx.conversation, assignee=None, actor=None)
        transaction.on_commit(assignment.hand_out)
        return _("handed to the routing policy")
    assignee = User.objects.filter(pk=value, is_active=True).first() if value else None
    if value and assignee is None:
        raise ActionError(_("The agent is gone or deactivated."))
    services.assign(conversation=ctx.conversation, assignee=assignee, actor=None)
    return str(assignee or _("nobody"))


def _team(ctx: Context, action: dict[str, Any]) -> str:
    team = Team.objects.filter(pk=action["value"]).first() if action["value"] else None
    services.set_team(conversation=ctx.conversation, team=team, actor=None)
    return str(team or "—")


def _set_field(ctx: Context, action: dict[str, Any]) -> str:
    services.set_custom_fields(
        conversation=ctx.conversation, values={action["name"]: action["value"]}, actor=None
    )
    return ""


def _render(ctx: Context, text: str) -> str:
    rendered = placeholders.render(text, ctx.placeholder_values())
    return rendered.text


def _note(ctx: Context, action: dict[str, Any]) -> str:
    services.add_system_note(
        conversation=ctx.conversation, text=_render(ctx, action["text"]), kind=ctx.source
    )
    return ""


def _reply(ctx: Context, action: dict[str, Any]) -> str:
    reply_id = action.get("canned_reply_id")
    if reply_id:
        reply = CannedReply.objects.prefetch_related("texts").filter(pk=reply_id).first()
        if reply is None:
            raise ActionError(_("The rule's canned reply was deleted."))
        chosen = canned.for_customer(
            reply, ctx.conversation, ctx.conversation.assignee, ctx.placeholder_values()
        )
        text, detail = chosen.text, chosen.language
    else:
        text, detail = _render(ctx, action["text"]), ""
    if not text.strip():
        raise ActionError(_("The reply came out empty."))
    message = ctx.facts.message
    text = in_customer_script(
        text, canned.customer_language(ctx.conversation), message.text if message else ""
    )
    services.send_automatic(conversation=ctx.conversation, text=text, kind=ctx.source)
    return detail


def _sender_key(ctx: Context) -> str:
    return "rule-ack:" + hashlib.sha256(str(ctx.conversation.contact_id).encode()).hexdigest()[:32]


def _acknowledge(ctx: Context, action: dict[str, Any]) -> str:
    """The built-in "we got your message", in the customer's language; at most one per
    customer in ``SAHAYAK_EMAIL_AUTO_REPLY_INTERVAL`` (a mail loop gets one, not a storm)."""
    if not cache.add(_sender_key(ctx), 1, timeout=settings.SAHAYAK_EMAIL_AUTO_REPLY_INTERVAL):
        return _("skipped: this customer was acknowledged a moment ago")
    conversation, contact = ctx.conversation, ctx.facts.contact
    language = contact.locale or conversation.language or settings.LANGUAGE_CODE
    context = {"conversation": conversation, "contact": contact, "inbox": conversation.inbox}
    with translation.override(language):
        text: str = render_to_string("automation/acknowledgement.txt", context)
        html: str = render_to_string("automation/acknowledgement.html", context)
    message = ctx.facts.message
    written = message.text if message else ""
    services.send_automatic(
        conversation=conversation,
        text=in_customer_script(text, language, written),
        html=in_customer_script(html, language, written),
        kind="auto_reply",
    )
    return language


def _answer_bot(ctx: Context, action: dict[str, Any]) -> str:
    from sahayak.knowledge import bot

    message = ctx.facts.message
    if message is None:
        return _("skipped: no customer message")
    if not bot.can_answer(ctx.conversation):
        return _("skipped: this channel cannot hold a conversation with the bot")
    answered = bot.answer(ctx.conversation, message)
    return _("articles sent") if answered else _("no article fits: left to the team")


def _email(ctx: Context, action: dict[str, Any]) -> str:
    outbox.enqueue_email(
        action["to"],
        _render(ctx, action["subject"]),
        _render(ctx, action["text"]),
        source=ctx.source,
        conversation_id=ctx.conversation.pk,
        key=f"run{ctx.run.pk}-{len(ctx.done)}",
    )
    return action["to"]


def _notify(ctx: Context, action: dict[str, Any]) -> str:
    users: list[User] = []
    if action.get("user"):
        users += list(User.objects.filter(pk=action["user"], is_active=True))
    if action.get("team"):
        users += list(User.objects.filter(teams__id=action["team"], is_active=True))
    unique = list({u.pk: u for u in users}.values())
    note = _render(ctx, action.get("text") or "") or ctx.rule.name
    told = notify_users(unique, ctx.conversation, kind=Kind.RULE, note=note)
    return ", ".join(str(u) for u in told) or _("nobody could see the conversation")


def _webhook(ctx: Context, action: dict[str, Any]) -> str:
    conversation = ctx.conversation
    event = {
        "event": "rule.fired",
        "rule": {"id": ctx.rule.pk, "name": ctx.rule.name},
        "trigger": ctx.trigger,
        "run_id": ctx.run.pk,
        "conversation": {
            "id": conversation.pk,
            "subject": conversation.subject,
            "status": conversation.status,
            "priority": conversation.priority,
            "channel": conversation.channel,
            "inbox_id": conversation.inbox_id,
            "team_id": conversation.team_id,
            "assignee_id": conversation.assignee_id,
            "contact_id": conversation.contact_id,
            "language": conversation.language,
            "tags": sorted(ctx.facts.tags),
        },
        "sent_at": timezone.now().isoformat(),
    }
    secret = crypto.decrypt(action["secret"]) if action.get("secret") else ""
    outbox.enqueue_webhook(
        action["url"],
        event,
        secret=secret,
        source=ctx.source,
        conversation_id=conversation.pk,
        key=f"run{ctx.run.pk}-{len(ctx.done)}",
    )
    return action["url"]


def _suggest_merge(ctx: Context, action: dict[str, Any]) -> str:
    conversation = ctx.conversation
    since = timezone.now() - timedelta(days=action["days"])
    others = list(
        Conversation.objects.filter(
            contact_id=conversation.contact_id,
            status__in=OPEN_STATUSES,
            merged_into__isnull=True,
            created_at__gte=since,
        )
        .exclude(pk=conversation.pk)
        .order_by("-id")
        .values_list("pk", "subject")[:10]
    )
    if not others:
        return _("no other open conversation of this customer")
    listed = "\n".join(f"#{pk} {subject}" for pk, subject in others)
    text = (
        _("This customer has other open conversations; merge them if they are the same request:")
        + "\n"
        + listed
    )
    services.add_system_note(conversation=conversation, text=text, kind=ctx.source)
    return ", ".join(f"#{pk}" for pk, _subject in others)


ACTIONS: dict[str, ActionType] = {
    "assign": ActionType(gettext_lazy("Assign to"), _clean_assign, _assign),
    "team": ActionType(gettext_lazy("Set team"), _clean_team, _team),
    "status": ActionType(gettext_lazy("Set status"), _choice(Status.values, "status"), _status),
    "priority": ActionType(
        gettext_lazy("Set priority"), _choice(Priority.values, "priority"), _priority
    ),
    "add_tags": ActionType(gettext_lazy("Add tags"), _clean_tags, _tags(True)),
    "remove_tags": ActionType(gettext_lazy("Remove tags"), _clean_tags, _tags(False)),
    "set_field": ActionType(gettext_lazy("Set a custom field"), _clean_field, _set_field),
    "note": ActionType(gettext_lazy("Add an internal note"), _clean_text, _note),
    "reply": ActionType(gettext_lazy("Reply to the customer"), _clean_reply, _reply, answers=True),
    "acknowledge": ActionType(
        gettext_lazy("Send the acknowledgement"), _nothing, _acknowledge, answers=True
    ),
    "answer_bot": ActionType(
        gettext_lazy("Let the answer bot suggest articles"), _nothing, _answer_bot, answers=True
    ),
    "email": ActionType(gettext_lazy("Send an email to"), _clean_email, _email),
    "notify": ActionType(gettext_lazy("Notify"), _clean_notify, _notify),
    "webhook": ActionType(gettext_lazy("Call a webhook"), _clean_webhook, _webhook),
    "suggest_merge": ActionType(
        gettext_lazy("Suggest merging with the customer's other open conversations"),
        _clean_merge,
        _suggest_merge,
    ),
}
MAX_ACTIONS = 20


def clean(actions: Any) -> list[dict[str, Any]]:
    """The actions as stored, or ``ActionError``."""
    if not isinstance(actions, list) or not 0 < len(actions) <= MAX_ACTIONS:
        raise ActionError(_("A rule needs 1 to %(n)d actions.") % {"n": MAX_ACTIONS})
    cleaned = []
    for action in actions:
        kind = action.get("type") if isinstance(action, dict) else None
        spec = ACTIONS.get(str(kind))
        if spec is None:
            raise ActionError(_("Unknown action: %(a)s") % {"a": kind})
        cleaned.append({"type": kind, **spec.clean(action)})
    return cleaned


def robot_reason(facts: Facts) -> str:
    """Why no rule may write to this customer now ("" when it may)."""
    if facts.conversation.status == Status.SPAM:
        return _("the conversation is spam")
    message = facts.message
    doubt = doubtful_sender(message.metadata) if message is not None else None
    if doubt is None:
        return ""
    kind, why = doubt
    if kind == "automated":
        return _("the sender is automated (%(why)s)") % {"why": why}
    return _("the sender's address failed its checks")


def run_one(ctx: Context, action: dict[str, Any], answered: Message | None) -> None:
    """Do one action in its own savepoint; its outcome is appended to ``ctx.done``."""
    spec = ACTIONS.get(action.get("type", ""))
    entry: dict[str, Any] = {"type": action.get("type"), "result": "done", "detail": ""}
    try:
        if spec is None:
            raise ActionError(_("Unknown action: %(a)s") % {"a": action.get("type")})
        reason = robot_reason(ctx.facts) if spec.answers else ""
        if reason:
            entry.update(result="skipped", detail=_("not sent: %(why)s") % {"why": reason})
            return
        with transaction.atomic():
            # The claim and the reply stand or fall together.
            if spec.answers and answered is not None and not _first_answer(ctx, answered):
                entry.update(
                    result="skipped", detail=_("not sent: a rule already answered this message")
                )
                return
            entry["detail"] = spec.run(ctx, action)
    except (ActionError, services.ConversationError) as exc:
        entry.update(result="failed", detail=str(exc))
    except Exception:  # the other actions and rules still run; the trace says it failed
        logger.exception("action %s of rule %s failed", action.get("type"), ctx.rule.pk)
        entry.update(result="failed", detail=_("an unexpected error (see the server log)"))
    finally:
        ctx.done.append(entry)


def _first_answer(ctx: Context, message: Message) -> bool:
    """Claim the customer's message for this run: False when a rule has answered it."""
    try:
        with transaction.atomic():
            RuleAnswer.objects.create(message=message, run=ctx.run)
    except IntegrityError:
        return False
    return True


def preview(action: dict[str, Any], facts: Facts, values: dict[str, str]) -> str:
    """What the action would do on this conversation, in words (nothing is changed);
    ``values``: ``canned.values_for`` the conversation and its assignee, read once for all
    of a rule's actions."""
    spec = ACTIONS.get(action.get("type", ""))
    if spec is None:
        return _("Unknown action: %(a)s") % {"a": action.get("type")}
    label = str(spec.label)
    if spec.answers:
        reason = robot_reason(facts)
        if reason:
            return f"{label}: " + _("not sent: %(why)s") % {"why": reason}
    conversation = facts.conversation
    if action["type"] == "reply":
        reply_id = action.get("canned_reply_id")
        reply = (
            CannedReply.objects.prefetch_related("texts").filter(pk=reply_id).first()
            if reply_id
            else None
        )
        if reply is not None:
            return f"{label}: " + canned.for_customer(reply, conversation, None, values).text
        return f"{label}: " + placeholders.render(action.get("text", ""), values).text
    if action["type"] == "note":
        return f"{label}: " + placeholders.render(action["text"], values).text
    if action["type"] == "email":
        subject = placeholders.render(action["subject"], values).text
        return f"{label} {action['to']}: {subject}"
    if action["type"] == "webhook":
        return f"{label}: {action['url']}"
    shown = {k: v for k, v in action.items() if k not in ("type", "secret")}
    return f"{label}: " + ", ".join(str(v) for v in shown.values()) if shown else label
