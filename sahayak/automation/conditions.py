"""Rule conditions: ``{"match": "all" | "any", "items": [...]}``, where an item is a
condition ``{"field": ..., "op": ..., "value": ...}`` or a group of the same shape.

Evaluation reads ``Facts``, which fetch what a condition needs only when one asks (most
rules look at the conversation row alone) and once per event however many rules ask.
Every evaluated condition is written to the trace with the value it saw; a group stops at
its first deciding condition, and the rest are not evaluated (nor traced).

Text conditions compare case- and accent-folded text in any script; a regular expression
runs with a time limit, so a hostile pattern cannot stall the worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import cached_property, lru_cache
from typing import Any

import regex
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sahayak.contacts.models import Contact, Order
from sahayak.conversations.models import Conversation, Direction, Message
from sahayak.knowledge.search.text import fold

from .triggers import ANCHOR_COLUMNS, Anchor

MAX_CONDITIONS = 50
MAX_DEPTH = 3
REGEX_TIMEOUT = 0.05  # seconds
TEXT_LIMIT = 20_000  # characters of a message a text condition reads
SEEN_LIMIT = 200


class ConditionError(ValueError):
    """A condition that cannot be stored as given (the message says why)."""


@lru_cache(maxsize=8192)
def _fold(text: str) -> str:
    """Folded once per distinct text: a message is compared with many rules' words."""
    return fold(text)


class Facts:
    """What conditions and actions know about one conversation at one moment."""

    def __init__(
        self,
        conversation: Conversation,
        *,
        message: Message | None = None,
        now: datetime,
        tags: list[str] | None = None,
    ) -> None:
        self.conversation = conversation
        self.now = now
        self._message = message
        if tags is not None:
            self.__dict__["tags"] = frozenset(tags)

    @cached_property
    def message(self) -> Message | None:
        """The customer's message this is about: the event's, else their latest."""
        if self._message is not None and self._message.direction == Direction.INBOUND:
            return self._message
        return (
            Message.objects.filter(conversation=self.conversation, direction=Direction.INBOUND)
            .order_by("-id")
            .first()
        )

    @cached_property
    def tags(self) -> frozenset[str]:
        return frozenset(self.conversation.tags.values_list("name", flat=True))

    def forget_tags(self) -> None:
        self.__dict__.pop("tags", None)

    @cached_property
    def contact(self) -> Contact:
        return self.conversation.contact

    @cached_property
    def business_open(self) -> bool | None:
        """Whether the team is open now (None: no business hours set: always open)."""
        from sahayak.routing.away import calendar_of
        from sahayak.routing.calendars import is_open

        calendar = calendar_of(self.conversation)
        if calendar is None:
            return None
        return is_open(calendar.business_calendar(), self.now)

    def orders_over(self, amount: Decimal, days: int) -> bool:
        key = f"_orders_{amount}_{days}"
        if key not in self.__dict__:
            self.__dict__[key] = Order.objects.filter(
                contact_id=self.conversation.contact_id,
                amount__gt=amount,
                ordered_at__gte=self.now - timedelta(days=days),
            ).exists()
        return bool(self.__dict__[key])

    def anchor_time(self, anchor: str) -> datetime | None:
        column = ANCHOR_COLUMNS.get(Anchor(anchor)) if anchor in Anchor.values else None
        return getattr(self.conversation, column) if column else None


# --- operators ---------------------------------------------------------------------------


def _in(seen: Any, value: Any) -> bool:
    return seen in value


def _contains(seen: Any, value: Any) -> bool:
    return _fold(str(value)) in _fold(str(seen or ""))


def _matches(seen: Any, value: Any) -> bool:
    try:
        return (
            regex.search(_pattern(str(value)), str(seen or ""), timeout=REGEX_TIMEOUT) is not None
        )
    except TimeoutError:
        return False


def _present(seen: Any) -> bool:
    """Set: not None, not off, not an empty text, list or mapping (0 is a value)."""
    return seen is not None and seen is not False and seen not in ("", [], {})


_PATTERNS: dict[str, Any] = {}


def _pattern(source: str) -> Any:
    compiled = _PATTERNS.get(source)
    if compiled is None:
        compiled = regex.compile(source, regex.IGNORECASE | regex.UNICODE)
        if len(_PATTERNS) > 1000:
            _PATTERNS.clear()
        _PATTERNS[source] = compiled
    return compiled


OPS: dict[str, tuple[Any, Callable[[Any, Any], bool]]] = {
    "in": (gettext_lazy("is one of"), _in),
    "not_in": (gettext_lazy("is none of"), lambda s, v: not _in(s, v)),
    "is": (gettext_lazy("is"), lambda s, v: _fold(str(s or "")) == _fold(str(v))),
    "is_not": (gettext_lazy("is not"), lambda s, v: _fold(str(s or "")) != _fold(str(v))),
    "is_set": (gettext_lazy("is set"), lambda s, v: _present(s)),
    "is_empty": (gettext_lazy("is empty"), lambda s, v: not _present(s)),
    "contains": (gettext_lazy("contains"), _contains),
    "not_contains": (gettext_lazy("does not contain"), lambda s, v: not _contains(s, v)),
    "matches": (gettext_lazy("matches the pattern"), _matches),
    "has_any": (gettext_lazy("has any of"), lambda s, v: bool(set(s) & set(v))),
    "has_all": (gettext_lazy("has all of"), lambda s, v: set(v) <= set(s)),
    "has_none": (gettext_lazy("has none of"), lambda s, v: not set(s) & set(v)),
    "more_than": (gettext_lazy("more than (minutes)"), lambda s, v: s is not None and s > v),
    "less_than": (gettext_lazy("less than (minutes)"), lambda s, v: s is not None and s < v),
    "any_over": (gettext_lazy("has an order over"), lambda s, v: bool(s)),
    "none_over": (gettext_lazy("has no order over"), lambda s, v: not s),
}


# --- fields ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    label: Any
    ops: tuple[str, ...]
    # How the value is stored: "list" (of codes, ids or names), "text", "choice",
    # "minutes" ({"anchor", "minutes"}), "orders" ({"amount", "days"}), "none".
    value: str
    seen: Callable[[Facts, Any], Any]
    # The column a sweep can filter on in SQL (only for "in" / "not_in" on plain columns).
    column: str = ""


CHOICE_OPS = ("in", "not_in")
PRESENCE_OPS = ("is_set", "is_empty")
TEXT_OPS = ("is", "is_not", "contains", "not_contains", "matches", "is_set", "is_empty")
INBOX_SETTINGS = ("auto_reply", "answer_bot")


def _conv(attr: str) -> Callable[[Facts, Any], Any]:
    return lambda facts, value: getattr(facts.conversation, attr)


def _message_text(facts: Facts, value: Any) -> str:
    message = facts.message
    return message.text[:TEXT_LIMIT] if message is not None else ""


def _minutes_since(facts: Facts, value: Any) -> float | None:
    moment = facts.anchor_time(value.get("anchor", ""))
    if moment is None:
        return None
    return round((facts.now - moment).total_seconds() / 60, 1)


def _orders(facts: Facts, value: Any) -> bool:
    return facts.orders_over(Decimal(str(value["amount"])), int(value["days"]))


def _hours(facts: Facts, value: Any) -> str:
    return "closed" if facts.business_open is False else "open"


def _rating(facts: Facts, value: Any) -> str | None:
    """The customer's latest CSAT rating of this conversation ("1".."5"), if any."""
    from sahayak.feedback.models import Kind, Survey

    score = (
        Survey.objects.filter(
            conversation_id=facts.conversation.pk, kind=Kind.CSAT, score__isnull=False
        )
        .order_by("-answered_at")
        .values_list("score", flat=True)
        .first()
    )
    return str(score) if score is not None else None


def _customer(name: str) -> Callable[[Facts, Any], Any]:
    def seen(facts: Facts, value: Any) -> Any:
        contact = facts.contact
        if name.startswith("attributes."):
            return (contact.custom_attributes or {}).get(name.removeprefix("attributes."))
        return getattr(contact, {"language": "locale"}.get(name, name))

    return seen


FIELDS: dict[str, Field] = {
    "channel": Field(gettext_lazy("Channel"), CHOICE_OPS, "list", _conv("channel"), "channel"),
    "inbox": Field(gettext_lazy("Inbox"), CHOICE_OPS, "list", _conv("inbox_id"), "inbox_id"),
    "inbox_setting": Field(
        gettext_lazy("Inbox setting is on"),
        ("is_set", "is_empty"),
        "choice",
        lambda facts, value: bool(facts.conversation.inbox.config.get(value)),
    ),
    "team": Field(
        gettext_lazy("Team"), CHOICE_OPS + PRESENCE_OPS, "list", _conv("team_id"), "team_id"
    ),
    "assignee": Field(
        gettext_lazy("Assignee"),
        CHOICE_OPS + PRESENCE_OPS,
        "list",
        _conv("assignee_id"),
        "assignee_id",
    ),
    "status": Field(gettext_lazy("Status"), CHOICE_OPS, "list", _conv("status"), "status"),
    "priority": Field(gettext_lazy("Priority"), CHOICE_OPS, "list", _conv("priority"), "priority"),
    "language": Field(
        gettext_lazy("Language"), CHOICE_OPS + PRESENCE_OPS, "list", _conv("language"), "language"
    ),
    "tags": Field(
        gettext_lazy("Tags"),
        ("has_any", "has_all", "has_none"),
        "list",
        lambda facts, value: sorted(facts.tags),
    ),
    "organization": Field(
        gettext_lazy("Organization"),
        CHOICE_OPS + PRESENCE_OPS,
        "list",
        lambda facts, value: facts.contact.organization_id,
    ),
    "customer.name": Field(gettext_lazy("Customer name"), TEXT_OPS, "text", _customer("name")),
    "customer.language": Field(
        gettext_lazy("Customer language"), TEXT_OPS, "text", _customer("language")
    ),
    "customer.time_zone": Field(
        gettext_lazy("Customer time zone"), TEXT_OPS, "text", _customer("time_zone")
    ),
    "orders": Field(gettext_lazy("Orders"), ("any_over", "none_over"), "orders", _orders),
    "message": Field(
        gettext_lazy("Customer's message"),
        ("contains", "not_contains", "matches"),
        "text",
        _message_text,
    ),
    "subject": Field(
        gettext_lazy("Subject"), ("contains", "not_contains", "matches"), "text", _conv("subject")
    ),
    "rating": Field(
        gettext_lazy("Customer's rating (1 to 5)"), CHOICE_OPS + PRESENCE_OPS, "list", _rating
    ),
    "business_hours": Field(gettext_lazy("Business hours"), ("is",), "choice", _hours),
    "time_since": Field(
        gettext_lazy("Time since"), ("more_than", "less_than"), "minutes", _minutes_since
    ),
}
ATTRIBUTE_FIELD = "customer.attributes."  # + a custom attribute's key: text operators


def field_of(name: str) -> Field | None:
    if name.startswith(ATTRIBUTE_FIELD) and len(name) > len(ATTRIBUTE_FIELD):
        return Field(name, TEXT_OPS, "text", _customer(name.removeprefix("customer.")))
    return FIELDS.get(name)


# --- checking what an admin wrote ---------------------------------------------------------


def clean(conditions: Any) -> dict[str, Any]:
    """The conditions as stored, or ``ConditionError``."""
    if conditions in (None, {}, []):
        return {"match": "all", "items": []}
    count = [0]
    return _clean_group(conditions, 1, count)


def _clean_group(group: Any, depth: int, count: list[int]) -> dict[str, Any]:
    if not isinstance(group, dict):
        raise ConditionError(_("Conditions must be a group with match and items."))
    match = group.get("match", "all")
    if match not in ("all", "any"):
        raise ConditionError(_("A group matches all or any of its conditions."))
    items = group.get("items", [])
    if not isinstance(items, list):
        raise ConditionError(_("A group's items must be a list."))
    cleaned = []
    for item in items:
        if isinstance(item, dict) and "items" in item:
            if depth >= MAX_DEPTH:
                raise ConditionError(_("Groups nest at most %(n)d deep.") % {"n": MAX_DEPTH})
            cleaned.append(_clean_group(item, depth + 1, count))
        else:
            count[0] += 1
            if count[0] > MAX_CONDITIONS:
                raise ConditionError(_("At most %(n)d conditions.") % {"n": MAX_CONDITIONS})
            cleaned.append(_clean_condition(item))
    return {"match": match, "items": cleaned}


def _clean_condition(item: Any) -> dict[str, Any]:
    name = item.get("field") if isinstance(item, dict) else None
    spec = field_of(str(name)) if name else None
    if spec is None:
        raise ConditionError(_("Unknown condition: %(f)s") % {"f": name})
    op = item.get("op")
    if op not in spec.ops:
        raise ConditionError(
            _("%(field)s cannot be compared with “%(op)s”.") % {"field": spec.label, "op": op}
        )
    value = _clean_value(spec, op, item.get("value"))
    return {"field": name, "op": op, "value": value}


def _clean_value(spec: Field, op: str, value: Any) -> Any:
    if op in PRESENCE_OPS and spec.value != "choice":
        return None
    if spec.value == "list":
        values = value if isinstance(value, list) else [value]
        values = [v for v in values if v not in (None, "")]
        if not values or len(values) > 200:
            raise ConditionError(_("%(field)s needs 1 to 200 values.") % {"field": spec.label})
        if spec.column.endswith("_id") or spec is FIELDS["organization"]:
            try:
                return [int(v) for v in values]
            except (TypeError, ValueError) as exc:
                raise ConditionError(_("%(field)s: give ids.") % {"field": spec.label}) from exc
        return [str(v)[:100] for v in values]
    if spec.value == "choice":
        allowed = INBOX_SETTINGS if spec is FIELDS["inbox_setting"] else ("open", "closed")
        if value not in allowed:
            raise ConditionError(
                _("%(field)s: choose one of the offered values.") % {"field": spec.label}
            )
        return value
    if spec.value == "text":
        text = str(value or "")
        if not text or len(text) > 500:
            raise ConditionError(
                _("%(field)s needs a text of 1 to 500 characters.") % {"field": spec.label}
            )
        if op == "matches":
            try:
                regex.compile(text)
            except regex.error as exc:
                raise ConditionError(_("Not a valid pattern: %(e)s") % {"e": exc}) from exc
        return text
    if spec.value == "minutes":
        anchor = value.get("anchor") if isinstance(value, dict) else None
        if anchor not in Anchor.values:
            raise ConditionError(_("Time since what? Choose a moment."))
        return {"anchor": anchor, "minutes": _number(value.get("minutes"), 0, 525_600)}
    if spec.value == "orders":
        if not isinstance(value, dict):
            raise ConditionError(_("Give an amount and a number of days."))
        try:
            amount = Decimal(str(value.get("amount")))
        except InvalidOperation as exc:
            raise ConditionError(_("The amount must be a number.")) from exc
        if not amount.is_finite() or amount < 0:
            raise ConditionError(_("The amount must be a number."))
        return {"amount": str(amount), "days": _number(value.get("days"), 1, 3650)}
    return None


def _number(value: Any, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if not low <= number <= high:
        raise ConditionError(_("Give a whole number from %(a)d to %(b)d.") % {"a": low, "b": high})
    return number


# --- evaluating --------------------------------------------------------------------------


def evaluate(conditions: dict[str, Any], facts: Facts, trace: list[dict[str, Any]]) -> bool:
    """Whether the conditions hold; each condition evaluated is appended to ``trace``."""
    return _group(conditions or {}, facts, trace)


def _group(group: dict[str, Any], facts: Facts, trace: list[dict[str, Any]]) -> bool:
    items = group.get("items") or []
    if not items:
        return True
    wanted_all = group.get("match", "all") == "all"
    for item in items:
        result = _group(item, facts, trace) if "items" in item else _one(item, facts, trace)
        if result != wanted_all:
            return result
    return wanted_all


def _one(item: dict[str, Any], facts: Facts, trace: list[dict[str, Any]]) -> bool:
    spec = field_of(item["field"])
    op = OPS.get(item["op"])
    if spec is None or op is None:  # a field removed since the rule was saved
        trace.append({**item, "seen": None, "result": False})
        return False
    seen = spec.seen(facts, item.get("value"))
    compared: Any = item.get("value")
    if spec.value == "minutes" and isinstance(compared, dict):
        compared = compared["minutes"]
    result = bool(op[1](seen, compared))
    trace.append({**item, "seen": _shown(seen), "result": result})
    return result


def _shown(seen: Any) -> Any:
    if isinstance(seen, str) and len(seen) > SEEN_LIMIT:
        return seen[:SEEN_LIMIT] + "…"
    if isinstance(seen, datetime):
        return seen.isoformat()
    return seen


def fields_used(conditions: dict[str, Any]) -> set[str]:
    """The fields the conditions read, at any depth (to preload them for many
    conversations)."""
    found: set[str] = set()
    for item in conditions.get("items") or []:
        if "items" in item:
            found |= fields_used(item)
        else:
            found.add(str(item.get("field", "")))
    return found


def sql_filter(conditions: dict[str, Any]) -> Q:
    """What a database query can test first, for a sweep over many conversations: the
    top-level "all" group's choice conditions on plain columns and its tag conditions.
    The rest is evaluated in Python; these are evaluated there too, so the trace stays
    whole."""
    found = Q()
    if conditions.get("match", "all") != "all":
        return found
    for item in conditions.get("items") or []:
        spec = FIELDS.get(item.get("field", "")) if "items" not in item else None
        if spec is None:
            continue
        op, value = item["op"], item.get("value")
        if spec.column and op in ("in", "not_in"):
            test = Q(**{f"{spec.column}__in": value})
            found &= test if op == "in" else ~test
        elif item["field"] == "tags":
            if op == "has_any":
                found &= Q(_tagged(value))
            elif op == "has_none":
                found &= ~Q(_tagged(value))
            else:
                for name in value:
                    found &= Q(_tagged([name]))
    return found


def _tagged(names: list[str]) -> Exists:
    through = Conversation.tags.through
    return Exists(through.objects.filter(conversation_id=OuterRef("pk"), tag__name__in=names))
