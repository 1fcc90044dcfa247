"""Time rules: due conversations are found by their moment, run once per moment, checked
against the conditions when due, and read in batches that a restart resumes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from sahayak.automation import timers
from sahayak.automation.models import Rule, RuleRun
from sahayak.conversations import services
from tests.factories import ConversationFactory, make_rule

pytestmark = pytest.mark.django_db


def pending_since(moment: Any, **kw: Any) -> Any:
    c = ConversationFactory(status="pending", **kw)
    c.status_changed_at = moment
    c.save()
    return c


def reminder(**kw: Any) -> Rule:
    return make_rule(
        "Remind after 3 days",
        anchor="status_changed",
        delay_minutes=3 * 24 * 60,
        conditions={"items": [{"field": "status", "op": "in", "value": ["pending"]}]},
        actions=[{"type": "add_tags", "value": ["reminded"]}],
        **kw,
    )


def test_fires_once_when_due_and_not_before():
    start = timezone.now() - timedelta(days=10)
    c = pending_since(start)
    rule = reminder()
    due = start + timedelta(days=3)
    assert timers.sweep(now=due - timedelta(seconds=1)) == {rule.pk: 0}
    assert timers.sweep(now=due + timedelta(seconds=1)) == {rule.pk: 1}
    assert timers.sweep(now=due + timedelta(minutes=5)) == {rule.pk: 0}
    [run] = RuleRun.objects.filter(rule=rule)
    assert run.trigger == "time" and run.conversation_id == c.pk
    assert list(c.tags.values_list("name", flat=True)) == ["reminded"]


def test_conditions_are_checked_when_due_and_in_the_query():
    start = timezone.now() - timedelta(days=10)
    open_one = pending_since(start)
    open_one.status = "open"
    open_one.save()
    vip = pending_since(start, priority="urgent")
    rule = make_rule(
        "Urgent pending",
        anchor="status_changed",
        delay_minutes=60,
        conditions={
            "items": [
                {"field": "status", "op": "in", "value": ["pending"]},
                {"field": "tags", "op": "has_none", "value": ["hold"]},
                {"field": "priority", "op": "not_in", "value": ["low"]},
            ]
        },
        actions=[{"type": "priority", "value": "high"}],
    )
    held = pending_since(start)
    services.set_tags(conversation=held, names=["hold"], actor=None)
    timers.sweep()
    assert set(RuleRun.objects.filter(rule=rule).values_list("conversation_id", flat=True)) == {
        vip.pk
    }


def test_a_new_moment_is_a_new_due_time():
    start = timezone.now() - timedelta(days=10)
    c = pending_since(start)
    rule = reminder()
    timers.sweep()
    services.set_status(conversation=c, status="open", actor=None)
    services.set_status(conversation=c, status="pending", actor=None)
    c.refresh_from_db()
    later = c.status_changed_at + timedelta(days=3, seconds=1)
    timers.sweep(now=later)
    assert RuleRun.objects.filter(rule=rule, conversation=c).count() == 2


def test_batches_resume_where_the_last_one_ended_and_a_repeat_runs_nothing_twice():
    start = timezone.now() - timedelta(days=10)
    made = [pending_since(start + timedelta(minutes=i)) for i in range(5)]
    rule = reminder()
    assert timers.sweep(batch=2) == {rule.pk: 5}
    assert RuleRun.objects.filter(rule=rule).count() == 5
    rule.refresh_from_db()
    assert rule.swept_id == made[-1].pk
    # A crash before the watermark moved: the same conversations are read again.
    Rule.objects.filter(pk=rule.pk).update(swept_until=None, swept_id=0)
    assert timers.sweep(batch=2) == {rule.pk: 0}
    assert RuleRun.objects.filter(rule=rule).count() == 5


def test_changing_the_timing_starts_the_sweep_over_and_disabled_rules_wait():
    from sahayak.automation import rulebook

    start = timezone.now() - timedelta(days=10)
    pending_since(start)
    rule = reminder(enabled=False)
    assert timers.sweep() == {}
    fields = rulebook.clean(
        name=rule.name,
        trigger="time",
        events=[],
        anchor="status_changed",
        delay_minutes=60,
        conditions_in=rule.conditions,
        actions_in=rule.actions,
    )
    rulebook.save_rule(rule, fields, enabled=True, user=None)
    assert timers.sweep() == {rule.pk: 1}
