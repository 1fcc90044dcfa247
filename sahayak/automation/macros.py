"""Macros: a named list of actions (reply, note, status, priority, tags, assignee, team)
an agent applies to a conversation in one click, with fields they fill in when running it.

Actions are checked when a macro is saved (``clean``) and run in order through the core's
services, in one transaction: each change is recorded as the agent's own, and a macro that
fails part-way changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from sahayak.accounts.models import Team, User
from sahayak.conversations import services
from sahayak.conversations.models import Conversation, Priority, Status

from . import canned, ownership, placeholders
from .models import CannedReply, Macro

ACTIONS = ("reply", "note", "status", "priority", "add_tags", "remove_tags", "assign", "team")
MAX_ACTIONS = 20
MAX_FIELDS = 10
FIELD_NAME = re.compile(r"[\w-]{1,40}")


class MacroError(ValueError):
    """A macro that cannot be saved or run as given (the message says why)."""


def visible_to(user: User) -> QuerySet[Macro]:
    """Shared macros and the user's own."""
    return ownership.visible_to(Macro.objects.all(), user)


may_edit = ownership.may_edit


def clean(actions: Any, fields: Any) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Actions and fields as stored, or ``MacroError``: every reference must exist and every
    text's placeholders be known."""
    if not isinstance(fields, list) or len(fields) > MAX_FIELDS:
        raise MacroError(_("At most %(n)d fields.") % {"n": MAX_FIELDS})
    kept_fields = []
    for field in fields:
        name = str(field.get("name", "")) if isinstance(field, dict) else ""
        if not FIELD_NAME.fullmatch(name):
            raise MacroError(_("A field needs a name of letters, digits, - or _."))
        kept_fields.append({"name": name, "label": str(field.get("label") or name)[:100]})
    names = frozenset(f["name"] for f in kept_fields)
    if len(names) != len(kept_fields):
        raise MacroError(_("Field names must differ."))
    if not isinstance(actions, list) or not 0 < len(actions) <= MAX_ACTIONS:
        raise MacroError(_("A macro needs 1 to %(n)d actions.") % {"n": MAX_ACTIONS})
    return [_clean_action(a, names) for a in actions], kept_fields


def _clean_action(action: Any, fields: frozenset[str]) -> dict[str, Any]:
    kind = action.get("type") if isinstance(action, dict) else None
    if kind not in ACTIONS:
        raise MacroError(_("Unknown action: %(a)s") % {"a": kind})
    value = action.get("value")
    if kind in ("reply", "note"):
        text = str(action.get("text") or "")
        reply_id = action.get("canned_reply_id")
        if kind == "reply" and reply_id:
            if not CannedReply.objects.filter(pk=int(reply_id), owner__isnull=True).exists():
                raise MacroError(_("A macro can only use shared canned replies."))
            return {"type": kind, "canned_reply_id": int(reply_id)}
        if not text.strip():
            raise MacroError(_("A reply or note action needs a text."))
        try:
            placeholders.check(text, fields)
        except placeholders.PlaceholderError as exc:
            raise MacroError(_("Placeholder error: %(e)s") % {"e": exc}) from exc
        return {"type": kind, "text": text[:20_000]}
    if kind == "status" and value not in Status.values:
        raise MacroError(_("Unknown status: %(s)s") % {"s": value})
    if kind == "priority" and value not in Priority.values:
        raise MacroError(_("Unknown priority: %(p)s") % {"p": value})
    if kind in ("add_tags", "remove_tags"):
        tags = value if isinstance(value, list) else [value]
        value = services.normalize_tags(str(t) for t in tags)
        if not value:
            raise MacroError(_("Give a tag name."))
    if kind == "assign" and value not in (None, "me"):
        if not User.objects.filter(pk=_int(value), is_active=True).exists():
            raise MacroError(_("No such agent."))
        value = _int(value)
    if kind == "team" and value is not None:
        if not Team.objects.filter(pk=_int(value)).exists():
            raise MacroError(_("No such team."))
        value = _int(value)
    return {"type": kind, "value": value}


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@transaction.atomic
def apply(
    macro: Macro, conversation: Conversation, agent: User, filled: Mapping[str, str]
) -> list[str]:
    """Run the macro's actions on the conversation as ``agent``; the action types done.

    ``filled``: the agent's values for the macro's fields, all required.
    """
    values = {f["name"]: str(filled.get(f["name"], "")).strip() for f in macro.fields}
    empty = [f["label"] for f in macro.fields if not values[f["name"]]]
    if empty:
        raise MacroError(_("Fill in: %(fields)s") % {"fields": ", ".join(empty)})
    known = canned.values_for(conversation, agent) | {
        placeholders.FIELD + name: value for name, value in values.items()
    }
    done = []
    for action in macro.actions:
        _run(action, conversation, agent, known)
        done.append(action["type"])
    Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + 1)
    return done


def _run(
    action: dict[str, Any], conversation: Conversation, agent: User, values: dict[str, str]
) -> None:
    kind = action["type"]
    value: Any = action.get("value")
    try:
        if kind in ("reply", "note"):
            text = _text(action, conversation, agent, values)
            services.reply(conversation=conversation, author=agent, text=text, note=kind == "note")
        elif kind == "status":
            services.set_status(conversation=conversation, status=value, actor=agent)
        elif kind == "priority":
            services.set_priority(conversation=conversation, priority=value, actor=agent)
        elif kind in ("add_tags", "remove_tags"):
            current = set(conversation.tags.values_list("name", flat=True))
            wanted = current | set(value) if kind == "add_tags" else current - set(value)
            services.set_tags(conversation=conversation, names=wanted, actor=agent)
        elif kind == "assign":
            assignee = agent if value == "me" else User.objects.filter(pk=value).first()
            services.assign(conversation=conversation, assignee=assignee, actor=agent)
        elif kind == "team":
            team = Team.objects.filter(pk=value).first() if value else None
            services.set_team(conversation=conversation, team=team, actor=agent)
    except services.ConversationError as exc:
        raise MacroError(str(exc)) from exc


def _text(
    action: dict[str, Any], conversation: Conversation, agent: User, values: dict[str, str]
) -> str:
    reply_id = action.get("canned_reply_id")
    if reply_id:
        reply = CannedReply.objects.prefetch_related("texts").filter(pk=reply_id).first()
        if reply is None:
            raise MacroError(_("The macro's canned reply was deleted."))
        return canned.for_customer(reply, conversation, agent, values).text
    return placeholders.render(action["text"], values).text


def save_macro(macro: Macro, actions: Any, fields: Any) -> Macro:
    if not macro.name.strip():
        raise MacroError(_("A macro needs a name."))
    macro.actions, macro.fields = clean(actions, fields)
    macro.save()
    return macro
