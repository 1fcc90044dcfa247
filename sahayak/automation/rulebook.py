"""Keeping rules: checking what an admin wrote, their order, the defaults Sahayak ships, and
the active rules of each trigger kept in memory between events.

Every process keeps the enabled rules it has read. A change made in the process itself is
seen at once; other processes check one small aggregate (the newest change and the number
of rules) at most once a second, so an edit made in the workspace reaches every worker
within a second, without a cache server and without a query per event.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from sahayak.accounts.models import User

from . import actions, conditions
from .models import Rule, Trigger
from .triggers import Anchor, On


class RuleError(ValueError):
    """A rule that cannot be saved as given (the message says why)."""


MAX_DELAY_MINUTES = 60 * 24 * 365
MIN_DELAY_MINUTES = 1


def clean(
    *,
    name: str,
    trigger: str,
    events: Any,
    anchor: str,
    delay_minutes: Any,
    conditions_in: Any,
    actions_in: Any,
) -> dict[str, Any]:
    """The rule's fields as stored, or ``RuleError`` saying what is wrong."""
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise RuleError(_("A rule needs a name of at most 200 characters."))
    if trigger not in Trigger.values:
        raise RuleError(_("Choose when the rule runs."))
    kept: dict[str, Any] = {"name": name, "trigger": trigger, "events": [], "anchor": ""}
    if trigger == Trigger.EVENT:
        picked = events if isinstance(events, list) else [events]
        if not picked or any(e not in On.values for e in picked):
            raise RuleError(_("Choose at least one event from the list."))
        kept["events"] = sorted(set(picked))
        kept["delay_minutes"] = 0
    else:
        if anchor not in Anchor.values:
            raise RuleError(_("Choose what the time is counted from."))
        try:
            delay = int(delay_minutes)
        except (TypeError, ValueError):
            delay = -1
        if not MIN_DELAY_MINUTES <= delay <= MAX_DELAY_MINUTES:
            raise RuleError(
                _("The delay is a whole number of minutes from %(a)d to %(b)d.")
                % {"a": MIN_DELAY_MINUTES, "b": MAX_DELAY_MINUTES}
            )
        kept["anchor"], kept["delay_minutes"] = anchor, delay
    try:
        kept["conditions"] = conditions.clean(conditions_in)
        kept["actions"] = actions.clean(actions_in)
    except (conditions.ConditionError, actions.ActionError) as exc:
        raise RuleError(str(exc)) from exc
    return kept


@transaction.atomic
def save_rule(rule: Rule, fields: dict[str, Any], *, enabled: bool, user: User | None) -> Rule:
    """Store checked fields (``clean``); a new rule goes last. A time rule whose timing
    changed starts its sweep over."""
    retimed = rule.pk is None or (rule.anchor, rule.delay_minutes) != (
        fields.get("anchor", ""),
        fields.get("delay_minutes", 0),
    )
    for key, value in fields.items():
        setattr(rule, key, value)
    rule.enabled = enabled
    if rule.pk is None:
        rule.created_by = user
        last = Rule.objects.aggregate(top=Max("position"))["top"]
        rule.position = 0 if last is None else last + 1
    if retimed:
        rule.swept_until, rule.swept_id = None, 0
    rule.save()
    return rule


def delete_rule(rule: Rule) -> None:
    if rule.builtin:
        raise RuleError(_("A rule Sahayak ships can be turned off or changed, not deleted."))
    rule.delete()


@transaction.atomic
def reorder(ids: list[int]) -> None:
    """Put the rules in this order (rules not named keep their place after them)."""
    known = list(Rule.objects.select_for_update().order_by("position", "id"))
    by_id = {r.pk: r for r in known}
    wanted = [by_id[i] for i in dict.fromkeys(ids) if i in by_id]
    rest = [r for r in known if r.pk not in {w.pk for w in wanted}]
    changed = []
    now = timezone.now()  # bulk_update does not touch auto_now: the rules' stamp must move
    for position, rule in enumerate(wanted + rest):
        if rule.position != position:
            rule.position, rule.updated_at = position, now
            changed.append(rule)
    Rule.objects.bulk_update(changed, ["position", "updated_at"])
    forget()


def move(rule: Rule, step: int) -> None:
    """Move one place up (-1) or down (+1)."""
    ids = list(Rule.objects.order_by("position", "id").values_list("pk", flat=True))
    at = ids.index(rule.pk)
    to = max(0, min(len(ids) - 1, at + step))
    ids.insert(to, ids.pop(at))
    reorder(ids)


# --- the rules Sahayak ships ---------------------------------------------------------------


def _defaults() -> list[dict[str, Any]]:
    return [
        {
            "builtin": "acknowledgement",
            "name": "Acknowledge new email",
            "description": (
                "Tells a customer who opens a conversation by email that it was received, "
                "in their language. Runs for mailboxes with “Acknowledge new messages "
                "automatically” turned on; never answers automated mail."
            ),
            "events": [On.CREATED.value],
            "conditions": {
                "match": "all",
                "items": [
                    {"field": "channel", "op": "in", "value": ["email"]},
                    {"field": "inbox_setting", "op": "is_set", "value": "auto_reply"},
                ],
            },
            "actions": [{"type": "acknowledge"}],
        },
        {
            "builtin": "answer_bot",
            "name": "Answer bot",
            "description": (
                "Answers the first message of a new chat or messaging conversation with the "
                "help center's best articles, in inboxes with the answer bot turned on."
            ),
            "events": [On.CREATED.value],
            "conditions": {
                "match": "all",
                "items": [{"field": "inbox_setting", "op": "is_set", "value": "answer_bot"}],
            },
            "actions": [{"type": "answer_bot"}],
        },
    ]


def ensure_defaults(**_: Any) -> int:
    """Create the shipped rules that are missing (after ``migrate``); how many were made."""
    made = 0
    for shipped in _defaults():
        _rule, created = Rule.objects.get_or_create(
            builtin=shipped["builtin"],
            defaults={**shipped, "trigger": Trigger.EVENT, "position": made},
        )
        made += created
    return made


# --- the active rules, per process ---------------------------------------------------------


RECHECK_SECONDS = 1.0


class _Active:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stamp: tuple[Any, ...] | None = None
        self.checked = 0.0
        self.by_event: dict[str, list[Rule]] = {}
        self.timed: list[Rule] = []


_active = _Active()


def _stamp() -> tuple[Any, ...]:
    row = Rule.objects.aggregate(changed=Max("updated_at"), n=Count("id"))
    return (row["changed"], row["n"])


def _load() -> None:
    now = time.monotonic()
    if _active.stamp is not None and now - _active.checked < RECHECK_SECONDS:
        return
    stamp = _stamp()
    _active.checked = now
    if stamp == _active.stamp:
        return
    with _active.lock:
        by_event: dict[str, list[Rule]] = defaultdict(list)
        timed = []
        for rule in Rule.objects.filter(enabled=True).order_by("position", "id"):
            if rule.trigger == Trigger.TIME:
                timed.append(rule)
            for key in rule.events:
                by_event[key].append(rule)
        _active.by_event, _active.timed, _active.stamp = dict(by_event), timed, stamp


def for_event(trigger: str) -> list[Rule]:
    """Enabled event rules that start on ``trigger``, in the admin's order."""
    _load()
    return _active.by_event.get(trigger, [])


def timed() -> list[Rule]:
    """Enabled time rules, in the admin's order."""
    _load()
    return list(_active.timed)


def forget(**_: Any) -> None:
    """Read the rules again at the next use (connected to every save and delete of a rule
    in this process)."""
    _active.stamp = None
