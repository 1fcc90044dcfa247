"""Running rules: event rules as a listener of the core's typed events, and the one path
every run takes (``run_rules``), shared with time rules and the dry run's evaluation.

Each rule runs at most once per event (a ``RuleRun`` row per rule, conversation and event
is the claim, in the same transaction as the rule's changes). A rule's changes are events
too, and may start other rules: each such event carries the chain of rules that led to it
(``events.caused_by``). A chain stops when it is ``MAX_DEPTH`` rules long, or when a rule
would run again inside its own chain (a loop: without this, two rules undoing each other
would multiply their events at every step up to the limit); the stop is logged and kept
as a run with the outcome "loop".
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from sahayak.conversations.events import (
    DomainEvent,
    EventKind,
    caused_by,
    conversation_event,
    record,
)
from sahayak.conversations.models import Direction, Message

from . import actions, conditions, rulebook, triggers
from .conditions import Facts
from .models import Rule, RuleOutcome, RuleRun

logger = logging.getLogger(__name__)

MAX_DEPTH = 5
RULE_CAUSE = "rule:"


def depth_of(cause: tuple[str, ...]) -> int:
    """How many rules led to a change."""
    return sum(1 for label in cause if label.startswith(RULE_CAUSE))


def on_event(event: DomainEvent, **_: Any) -> None:
    trigger = triggers.trigger_of(event)
    if trigger is None:
        return
    rules = rulebook.for_event(trigger)
    if not rules:
        return
    # The changed conversation as the change left it: this listener runs before routing's
    # (see INSTALLED_APPS), so no other reaction has touched it yet, and reading it again
    # would cost more than all the rules' conditions together.
    conversation = event.conversation
    if conversation.merged_into_id:
        return
    message = event.message
    facts = Facts(conversation, message=message, now=timezone.now())
    run_rules(
        rules,
        facts,
        trigger=trigger,
        key=triggers.event_key(event),
        cause=event.cause,
        answering=_answering(trigger, message),
    )


def _answering(trigger: str, message: Message | None) -> bool:
    """Whether a reply now answers a customer's message (at most one rule reply each)."""
    if trigger in (triggers.On.CREATED, triggers.On.CUSTOMER_MESSAGE):
        return message is None or message.direction == Direction.INBOUND
    return False


def run_rules(
    rules: list[Rule],
    facts: Facts,
    *,
    trigger: str,
    key: str,
    cause: tuple[str, ...] = (),
    answering: bool = False,
) -> list[RuleRun]:
    """Evaluate each rule in order and run the ones whose conditions hold; ``cause``: the
    chain of reactions that led to the event."""
    depth = depth_of(cause)
    runs = []
    for rule in rules:
        trace: list[dict[str, Any]] = []
        try:
            matched = conditions.evaluate(rule.conditions, facts, trace)
        except Exception:  # a broken rule must not stop the others
            logger.exception("rule %s could not be evaluated", rule.pk)
            continue
        if not matched:
            continue
        looping = depth >= MAX_DEPTH or f"{RULE_CAUSE}{rule.pk}" in cause
        chain = (*cause, f"{RULE_CAUSE}{rule.pk}")
        run = _run(rule, facts, trigger, key, chain, trace, answering, looping)
        if run is not None:
            runs.append(run)
    return runs


def _run(
    rule: Rule,
    facts: Facts,
    trigger: str,
    key: str,
    chain: tuple[str, ...],
    trace: list[dict[str, Any]],
    answering: bool,
    looping: bool,
) -> RuleRun | None:
    conversation = facts.conversation
    depth = depth_of(chain) - 1
    with transaction.atomic(), caused_by(*chain):
        try:
            with transaction.atomic():
                run = RuleRun.objects.create(
                    rule=rule,
                    conversation=conversation,
                    trigger=trigger,
                    key=key[:80],
                    depth=depth,
                    outcome=RuleOutcome.LOOP if looping else RuleOutcome.DONE,
                    conditions=trace,
                )
        except IntegrityError:
            return None  # this rule already ran for this event (redelivered, or a race)
        if looping:
            logger.warning(
                "automation loop stopped: rule %s on conversation %s after %s rules in a chain"
                " (the limit is %s, and a rule never runs twice in one chain)",
                rule.pk,
                conversation.pk,
                depth,
                MAX_DEPTH,
            )
        else:
            _act(rule, facts, run, trigger, answering)
        record(
            EventKind.RULE_RAN,
            conversation,
            rule=rule.pk,
            run=run.pk,
            name=rule.name[:200],
            outcome=run.outcome,
        )
        Rule.objects.filter(pk=rule.pk).update(
            run_count=F("run_count") + 1, last_run_at=timezone.now()
        )
    return run


def _act(rule: Rule, facts: Facts, run: RuleRun, trigger: str, answering: bool) -> None:
    ctx = actions.Context(rule=rule, facts=facts, run=run, trigger=trigger)
    answered = facts.message if answering else None
    for action in rule.actions:
        actions.run_one(ctx, action, answered)
    run.actions = ctx.done
    if any(entry["result"] == "failed" for entry in ctx.done):
        run.outcome = RuleOutcome.PARTLY
    run.save(update_fields=["actions", "outcome"])


PRUNE_BATCH = 5000


def prune_runs(now: datetime | None = None, batch: int = PRUNE_BATCH) -> int:
    """Forget the traces of runs older than ``SAHAYAK_RULE_RUN_DAYS``, oldest first, a
    batch per call (the worker's turn stays short, and the read is the first ids of the
    primary key: no scan of the table); how many were removed."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.SAHAYAK_RULE_RUN_DAYS)
    first = RuleRun.objects.order_by("id").values_list("id", "created_at")[:batch]
    old = [run_id for run_id, created in first if created < cutoff]
    if not old:
        return 0
    RuleRun.objects.filter(id__in=old).delete()
    return len(old)


def connect() -> None:
    conversation_event.connect(on_event, dispatch_uid="automation-rules")
