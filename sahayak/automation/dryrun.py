"""The dry run: which of the last conversations would a rule match now, and what would it
do. Nothing is changed and nothing is sent; the conditions are evaluated exactly as a run
would evaluate them (the same ``Facts``), each with the value it saw."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.utils import timezone

from sahayak.conversations.models import Conversation
from sahayak.conversations.services import tags_by_conversation

from . import actions, canned, conditions
from .conditions import Facts
from .models import Rule, Trigger
from .triggers import ANCHOR_COLUMNS, Anchor

SAMPLE = 100


@dataclass(frozen=True)
class DryRow:
    conversation: Conversation
    matched: bool
    trace: list[dict[str, Any]]
    would: list[str]
    # Time rules: when the rule is (or was) due on this conversation.
    due_at: Any = None


def dry_run(rule: Rule, sample: int = SAMPLE) -> list[DryRow]:
    """The last ``sample`` conversations (newest first), each with the rule's verdict."""
    now = timezone.now()
    rows = list(
        Conversation.objects.filter(merged_into__isnull=True)
        .select_related("inbox", "contact", "assignee")
        .order_by("-id")[:sample]
    )
    tags = tags_by_conversation([c.pk for c in rows])
    result = []
    for conversation in rows:
        facts = Facts(conversation, now=now, tags=tags.get(conversation.pk, []))
        trace: list[dict[str, Any]] = []
        due_at = None
        matched = True
        if rule.trigger == Trigger.TIME and rule.anchor in Anchor.values:
            moment = getattr(conversation, ANCHOR_COLUMNS[Anchor(rule.anchor)])
            due_at = moment + timedelta(minutes=rule.delay_minutes) if moment else None
            matched = due_at is not None
        matched = matched and conditions.evaluate(rule.conditions, facts, trace)
        would = []
        if matched:
            values = canned.values_for(conversation, conversation.assignee)
            would = [actions.preview(a, facts, values) for a in rule.actions]
        result.append(DryRow(conversation, matched, trace, would, due_at))
    return result
