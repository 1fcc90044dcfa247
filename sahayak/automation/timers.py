"""Time rules: "N minutes after <anchor>, if <conditions>", fired by the worker's sweep.

Each conversation keeps the moments a time rule can count from as indexed columns
(``triggers.ANCHOR_COLUMNS``). A rule's sweep reads, in (moment, id) order, only the
conversations whose moment fell due since its last turn (``Rule.swept_until`` /
``swept_id``), in batches: the columns a database can test (status, channel, inbox...)
are tested in the query, the rest in Python. The run's key is the due moment, so a
conversation gets one run per rule for each time its moment is set (a conversation that
goes pending twice is reminded twice), and two workers sweeping at once cannot both run
it. The watermark moves with each batch in the batch's transaction: a killed worker starts
again from the last finished batch, and the keys make the repeat harmless.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from sahayak.conversations.models import Conversation
from sahayak.conversations.services import tags_by_conversation

from . import conditions, engine, rulebook
from .conditions import Facts
from .models import Rule
from .triggers import ANCHOR_COLUMNS, Anchor

logger = logging.getLogger(__name__)

BATCH = 1000


def sweep(now: datetime | None = None, batch: int = BATCH) -> dict[int, int]:
    """One turn over every enabled time rule; runs made per rule."""
    now = now or timezone.now()
    made = {}
    for rule in rulebook.timed():
        try:
            made[rule.pk] = sweep_rule(rule.pk, now, batch)
        except Exception:  # one broken rule must not stop the others
            logger.exception("time rule %s failed", rule.pk)
    return made


def sweep_rule(rule_id: int, now: datetime, batch: int = BATCH) -> int:
    """Every conversation due for this rule up to ``now``; how many runs were made."""
    made = 0
    while True:
        done, more = _one_batch(rule_id, now, batch)
        made += done
        if not more:
            return made


def _locked_rule(rule_id: int) -> Rule | None:
    rows = Rule.objects.filter(pk=rule_id, enabled=True)
    if connection.features.has_select_for_update_skip_locked:
        rows = rows.select_for_update(skip_locked=True)  # another worker is on it
    return rows.first()


def _one_batch(rule_id: int, now: datetime, batch: int) -> tuple[int, bool]:
    with transaction.atomic():
        rule = _locked_rule(rule_id)
        if rule is None or rule.anchor not in Anchor.values:
            return 0, False
        column = ANCHOR_COLUMNS[Anchor(rule.anchor)]
        cutoff = now - timedelta(minutes=rule.delay_minutes)
        used = conditions.fields_used(rule.conditions)
        rows = list(_due(rule, column, cutoff, used)[:batch])
        if not rows:
            return 0, False
        tags = tags_by_conversation([c.pk for c in rows]) if "tags" in used else None
        made = 0
        for conversation in rows:
            facts = Facts(
                conversation,
                now=now,
                tags=tags.get(conversation.pk, []) if tags is not None else None,
            )
            moment = getattr(conversation, column)
            made += len(
                engine.run_rules(
                    [rule],
                    facts,
                    trigger="time",
                    key=f"t{moment.isoformat()}",
                )
            )
        last = rows[-1]
        Rule.objects.filter(pk=rule.pk).update(swept_until=getattr(last, column), swept_id=last.pk)
        return made, len(rows) == batch


def _due(rule: Rule, column: str, cutoff: datetime, used: set[str]) -> Any:
    rows = Conversation.objects.filter(
        conditions.sql_filter(rule.conditions),
        **{f"{column}__lte": cutoff},
        merged_into__isnull=True,
    )
    if rule.swept_until is not None:
        # (moment, id) after the watermark; the ">=" alone lets the index start there.
        rows = rows.filter(**{f"{column}__gte": rule.swept_until}).filter(
            Q(**{f"{column}__gt": rule.swept_until}) | Q(id__gt=rule.swept_id)
        )
    related = []
    if any(name.startswith(("customer.", "organization")) for name in used):
        related.append("contact")
    if "inbox_setting" in used:
        related.append("inbox")
    return rows.select_related(*related).order_by(column, "id")
