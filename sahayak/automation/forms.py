"""The rule editor's rows, to and from the stored JSON.

The editor shows two groups of condition rows ("all of these", "and at least one of
these") and a list of action rows; each row is a field, an operator and a value typed as
text (names where the JSON holds ids: an inbox, a team, an agent). Rules whose conditions
nest deeper (written through the API) keep them as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from sahayak.accounts.models import Team, User
from sahayak.contacts.models import Organization
from sahayak.conversations.models import Inbox

from . import conditions
from .models import CannedReply, Rule
from .rulebook import RuleError

BLANK_ROWS = 2
SECTIONS = ("all", "any")


@dataclass
class ConditionRow:
    field: str = ""
    op: str = ""
    value: str = ""
    anchor: str = ""


@dataclass
class ActionRow:
    type: str = ""
    value: str = ""
    text: str = ""


@dataclass
class Rows:
    all: list[ConditionRow] = field(default_factory=list)
    any: list[ConditionRow] = field(default_factory=list)
    actions: list[ActionRow] = field(default_factory=list)
    # Conditions the editor cannot show as rows (kept as they are).
    fixed: dict[str, Any] | None = None


# --- names <-> ids -----------------------------------------------------------------------

_MODELS: dict[str, tuple[Any, str]] = {
    "inbox": (Inbox, "name"),
    "team": (Team, "name"),
    "organization": (Organization, "name"),
}


def _names(field_name: str, ids: list[Any]) -> list[str]:
    if field_name == "assignee":
        found = dict(User.objects.filter(pk__in=ids).values_list("pk", "username"))
    elif field_name in _MODELS:
        model, attr = _MODELS[field_name]
        found = dict(model.objects.filter(pk__in=ids).values_list("pk", attr))
    else:
        return [str(v) for v in ids]
    return [str(found.get(i, i)) for i in ids]


def _ids(field_name: str, names: list[str]) -> list[Any]:
    if field_name not in _MODELS and field_name != "assignee":
        return names
    ids = []
    for name in names:
        if name.isdigit():
            ids.append(int(name))
            continue
        if field_name == "assignee":
            found = User.objects.filter(username__iexact=name).values_list("pk", flat=True).first()
        else:
            model, attr = _MODELS[field_name]
            found = (
                model.objects.filter(**{f"{attr}__iexact": name})
                .values_list("pk", flat=True)
                .first()
            )
        if found is None:
            raise RuleError(_("Nothing called “%(name)s” was found.") % {"name": name})
        ids.append(found)
    return ids


def _agent_id(name: str) -> int | None:
    if name.isdigit():
        return int(name)
    return (
        User.objects.filter(Q(username__iexact=name) | Q(email__iexact=name), is_active=True)
        .values_list("pk", flat=True)
        .first()
    )


def _team_id(name: str) -> int | None:
    if name.isdigit():
        return int(name)
    return Team.objects.filter(name__iexact=name).values_list("pk", flat=True).first()


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


# --- conditions ----------------------------------------------------------------------------


def _condition_row(item: dict[str, Any]) -> ConditionRow:
    name, value = item["field"], item.get("value")
    spec = conditions.field_of(name)
    row = ConditionRow(field=name, op=item["op"])
    if spec is None or value is None:
        return row
    if spec.value == "list":
        row.value = ", ".join(_names(name, value))
    elif spec.value == "minutes":
        row.value, row.anchor = str(value["minutes"]), value["anchor"]
    elif spec.value == "orders":
        row.value = f"{value['amount']}, {value['days']}"
    else:
        row.value = str(value)
    return row


def _flat(group: dict[str, Any]) -> bool:
    return all("items" not in item for item in group.get("items") or [])


def rows_of(rule: Rule) -> Rows:
    rows = Rows()
    stored = rule.conditions or {"match": "all", "items": []}
    items = stored.get("items") or []
    plain = [i for i in items if "items" not in i]
    groups = [i for i in items if "items" in i]
    fits = (
        stored.get("match", "all") == "all"
        and len(groups) <= 1
        and all(g.get("match") == "any" and _flat(g) for g in groups)
    )
    if fits:
        rows.all = [_condition_row(i) for i in plain]
        rows.any = [_condition_row(i) for i in (groups[0]["items"] if groups else [])]
    elif stored.get("match") == "any" and _flat(stored):
        rows.any = [_condition_row(i) for i in items]
    else:
        rows.fixed = stored
    rows.actions = [_action_row(a) for a in rule.actions]
    return rows


def with_blanks(rows: Rows) -> Rows:
    rows.all += [ConditionRow() for _ in range(BLANK_ROWS)]
    rows.any += [ConditionRow() for _ in range(BLANK_ROWS)]
    rows.actions += [ActionRow() for _ in range(BLANK_ROWS)]
    return rows


def _condition_value(row: ConditionRow) -> Any:
    spec = conditions.field_of(row.field)
    if spec is None:
        return None
    if spec.value == "list":
        return _ids(row.field, _split(row.value))
    if spec.value == "minutes":
        return {"anchor": row.anchor, "minutes": row.value}
    if spec.value == "orders":
        parts = _split(row.value)
        if len(parts) != 2:
            raise RuleError(_("Orders: give the amount and the number of days, e.g. 100, 30."))
        return {"amount": parts[0], "days": parts[1]}
    return row.value


def read_rows(data: Mapping[str, Any]) -> Rows:
    """The rows as the browser sent them (empty rows dropped)."""
    rows = Rows()
    for section in SECTIONS:
        for i in range(100):
            prefix = f"c-{section}-{i}-"
            if prefix + "field" not in data:
                break
            row = ConditionRow(
                field=str(data.get(prefix + "field", "")).strip(),
                op=str(data.get(prefix + "op", "")).strip(),
                value=str(data.get(prefix + "value", "")).strip(),
                anchor=str(data.get(prefix + "anchor", "")).strip(),
            )
            if row.field:
                getattr(rows, section).append(row)
    for i in range(100):
        prefix = f"a-{i}-"
        if prefix + "type" not in data:
            break
        action = ActionRow(
            type=str(data.get(prefix + "type", "")).strip(),
            value=str(data.get(prefix + "value", "")).strip(),
            text=str(data.get(prefix + "text", "")),
        )
        if action.type:
            rows.actions.append(action)
    return rows


def conditions_of(rows: Rows, kept: dict[str, Any] | None = None) -> dict[str, Any]:
    """The stored shape of the rows (or ``kept``, the conditions the editor left alone)."""
    if kept is not None:
        return kept
    items: list[dict[str, Any]] = [
        {"field": r.field, "op": r.op, "value": _condition_value(r)} for r in rows.all
    ]
    if rows.any:
        any_items = [{"field": r.field, "op": r.op, "value": _condition_value(r)} for r in rows.any]
        items.append({"match": "any", "items": any_items})
    return {"match": "all", "items": items}


# --- actions -------------------------------------------------------------------------------


def _action_row(action: dict[str, Any]) -> ActionRow:
    kind = action["type"]
    row = ActionRow(type=kind)
    value = action.get("value")
    if kind == "assign":
        if value == "routing":
            row.value = "routing"
        elif value:
            row.value = _names("assignee", [value])[0]
        else:
            row.value = "nobody"
    elif kind == "team":
        row.value = _names("team", [value])[0] if value else ""
    elif kind in ("add_tags", "remove_tags"):
        row.value = ", ".join(value or [])
    elif kind in ("status", "priority"):
        row.value = str(value)
    elif kind == "set_field":
        row.value = f"{action['name']}={action['value']}"
    elif kind in ("note",):
        row.text = action["text"]
    elif kind == "reply":
        if action.get("canned_reply_id"):
            title = (
                CannedReply.objects.filter(pk=action["canned_reply_id"])
                .values_list("title", flat=True)
                .first()
            )
            row.value = title or str(action["canned_reply_id"])
        row.text = action.get("text", "")
    elif kind == "email":
        row.value, row.text = action["to"], f"{action['subject']}\n{action['text']}"
    elif kind == "notify":
        if action.get("user"):
            row.value = _names("assignee", [action["user"]])[0]
        else:
            row.value = "team:" + _names("team", [action["team"]])[0]
        row.text = action.get("text", "")
    elif kind == "webhook":
        row.value = action["url"]  # the secret is never shown: an empty box keeps it
    elif kind == "suggest_merge":
        row.value = str(action.get("days", 30))
    return row


def actions_of(rows: Rows, old: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stored shape of the action rows (checked afterwards by ``actions.clean``)."""
    old_secrets = {
        str(a.get("url")): str(a.get("secret", "")) for a in old if a.get("type") == "webhook"
    }
    return [_action(row, old_secrets) for row in rows.actions]


def _action(row: ActionRow, old_secrets: dict[str, str]) -> dict[str, Any]:
    kind, value, text = row.type, row.value, row.text
    if kind == "assign":
        if value in ("", "nobody"):
            return {"type": kind, "value": None}
        if value == "routing":
            return {"type": kind, "value": "routing"}
        agent = _agent_id(value)
        if agent is None:
            raise RuleError(_("No agent called “%(name)s”.") % {"name": value})
        return {"type": kind, "value": agent}
    if kind == "team":
        team = _team_id(value) if value else None
        if value and team is None:
            raise RuleError(_("No team called “%(name)s”.") % {"name": value})
        return {"type": kind, "value": team}
    if kind in ("add_tags", "remove_tags"):
        return {"type": kind, "value": _split(value)}
    if kind == "set_field":
        name, _sep, field_value = value.partition("=")
        return {"type": kind, "name": name.strip(), "value": field_value.strip()}
    if kind == "reply" and value:
        found = (
            CannedReply.objects.filter(owner__isnull=True)
            .filter(Q(title__iexact=value) | Q(shortcut__iexact=value.lstrip("/")))
            .values_list("pk", flat=True)
            .first()
        )
        if found is None:
            raise RuleError(_("No shared canned reply called “%(name)s”.") % {"name": value})
        return {"type": kind, "canned_reply_id": found}
    if kind == "email":
        subject, _sep, body = text.strip().partition("\n")
        return {"type": kind, "to": value, "subject": subject.strip(), "text": body.strip()}
    if kind == "notify":
        if value.startswith("team:"):
            team = _team_id(value.removeprefix("team:").strip())
            if team is None:
                raise RuleError(_("No team called “%(name)s”.") % {"name": value})
            return {"type": kind, "team": team, "text": text}
        agent = _agent_id(value)
        if agent is None:
            raise RuleError(_("No agent called “%(name)s”.") % {"name": value})
        return {"type": kind, "user": agent, "text": text}
    if kind == "webhook":
        secret = text.strip() or old_secrets.get(value, "")
        return {"type": kind, "url": value, "secret": secret}
    if kind == "suggest_merge":
        return {"type": kind, "days": value or 30}
    return {"type": kind, "value": value, "text": text}
