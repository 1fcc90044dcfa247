"""Automation rules against the loaded data (``bench/generate.py``):

    python bench/automation.py [--messages 500] [--rules 200] [--all-pending]

1. The cost rules add to each inbound message: ``--rules`` enabled event rules on
   "customer wrote" (channels, words in the message, patterns, tags, priority, customer
   language, business hours, orders over an amount; about one message in a hundred
   matches one and is tagged), evaluated by the listener exactly as after a real message;
   p50/p95/p99 per message, and the share of messages that matched.
2. A time rule's sweep ("3 days after the status changed, if pending, not low priority,
   in one of five languages and tagged for a reminder") over every due conversation: the
   time it takes, and how many matched and ran (one in a hundred is tagged). ``--all-pending`` first makes
   every conversation pending since a moment in the last 30 days, to sweep a million.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import timedelta

import _setup  # noqa: F401
from django.db import connection
from django.utils import timezone

from sahayak.automation import engine, rulebook, timers
from sahayak.automation.models import Rule, RuleRun
from sahayak.conversations.events import DomainEvent, EventKind
from sahayak.conversations.models import Conversation, Message, Tag
from sahayak.routing.models import Calendar, RoutingPolicy

WORDS = ["remboursement", "रिफ़ंड", "επιστροφή", "ফেরত", "refund", "invoice", "password"]
CHANNELS = ["email", "chat", "sms", "whatsapp", "telegram", "webform", "api"]
LANGS = ["en", "fr", "hi", "bn", "el"]


def _rule_spec(i: int, rng: random.Random) -> dict:
    """One of several realistic shapes; the rare word keeps matches about 1 in 100."""
    rare = f"zq{i:03d}"
    shape = i % 5
    if shape == 0:
        items = [
            {"field": "channel", "op": "in", "value": [CHANNELS[i % len(CHANNELS)]]},
            {"field": "message", "op": "contains", "value": rare},
        ]
    elif shape == 1:
        items = [
            {"field": "priority", "op": "in", "value": ["urgent"]},
            {"field": "tags", "op": "has_any", "value": [rare]},
        ]
    elif shape == 2:
        items = [
            {"field": "customer.language", "op": "is", "value": LANGS[i % len(LANGS)]},
            {"field": "business_hours", "op": "is", "value": "closed"},
            {"field": "message", "op": "contains", "value": rare},
        ]
    elif shape == 3:
        items = [
            {
                "match": "any",
                "items": [
                    {"field": "message", "op": "matches", "value": rf"\b{rare}\d+\b"},
                    {"field": "subject", "op": "contains", "value": rare},
                ],
            }
        ]
    else:
        items = [
            {"field": "message", "op": "contains", "value": rng.choice(WORDS) + rare},
            {"field": "orders", "op": "any_over", "value": {"amount": "100", "days": 30}},
        ]
    return {"match": "all", "items": items}


def setup_rules(n: int) -> None:
    Rule.objects.filter(name__startswith="Bench rule").delete()
    calendar, _ = Calendar.objects.get_or_create(
        name="Bench hours",
        defaults={
            "time_zone": "Asia/Kolkata",
            "weekly": {str(d): [["09:00", "18:00"]] for d in range(6)},
        },
    )
    inbox_ids = list(Conversation.objects.values_list("inbox_id", flat=True).distinct()[:10])
    for inbox_id in inbox_ids:
        RoutingPolicy.objects.get_or_create(inbox_id=inbox_id, defaults={"calendar": calendar})
    rng = random.Random(7)
    for i in range(n):
        fields = rulebook.clean(
            name=f"Bench rule {i}",
            trigger="event",
            events=["customer_message"],
            anchor="",
            delay_minutes=0,
            conditions_in=_rule_spec(i, rng),
            actions_in=[{"type": "add_tags", "value": [f"bench-{i}"]}],
        )
        rulebook.save_rule(Rule(), fields, enabled=True, user=None)


def event_rules(messages: int, rules: int) -> None:
    setup_rules(rules)
    rng = random.Random(3)
    top = Message.objects.order_by("-id").values_list("id", flat=True).first() or 0
    picked = []
    while len(picked) < messages:
        row = (
            Message.objects.filter(id__gte=rng.randint(1, top), direction="in")
            .select_related("conversation")
            .order_by("id")
            .first()
        )
        if row is not None:
            picked.append(row)
    # About one message in a hundred says the rare word of some rule.
    for n, message in enumerate(picked):
        if n % 100 == 0:  # the pattern of a rule of shape 3 (any channel, any language)
            message.text = f"{message.text} zq{((n // 100) * 5 + 3) % rules:03d}1"
    runs_before = RuleRun.objects.count()
    samples = []
    for message in picked[:20]:  # warm up: rules read, calendars built
        engine.on_event(
            DomainEvent(EventKind.MESSAGE_RECEIVED, message.conversation, message=message)
        )
    for message in picked:
        event = DomainEvent(EventKind.MESSAGE_RECEIVED, message.conversation, message=message)
        started = time.perf_counter()
        engine.on_event(event)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    made = RuleRun.objects.count() - runs_before
    p = lambda share: samples[min(len(samples) - 1, int(len(samples) * share))]  # noqa: E731
    print(
        f"  {rules} rules, {messages} inbound messages ({connection.vendor}): "
        f"p50 {statistics.median(samples):.2f} ms  p95 {p(0.95):.2f} ms  p99 {p(0.99):.2f} ms"
        f"  ({made} runs made)"
    )
    Rule.objects.filter(name__startswith="Bench rule").update(enabled=False)


def make_pending() -> None:
    print("  making every conversation pending since a moment in the last 30 days…")
    started = time.monotonic()
    with connection.cursor() as cur:
        table = Conversation._meta.db_table
        if connection.vendor == "postgresql":
            cur.execute(
                f"UPDATE {table} SET status = 'pending', merged_into_id = NULL, "
                "status_changed_at = now() - (id % 43200) * interval '1 minute'"
            )
            cur.execute(f"VACUUM ANALYZE {table}")
        else:
            cur.execute(
                f"UPDATE {table} SET status = 'pending', merged_into_id = NULL, "
                "status_changed_at = datetime('now', '-' || (id % 43200) || ' minutes')"
            )
    print(f"  … in {time.monotonic() - started:.1f}s")


def time_rule() -> None:
    Rule.objects.filter(name="Bench reminder").delete()
    # One in a hundred conversations is tagged for a reminder.
    tag, _ = Tag.objects.get_or_create(name="remind-me")
    through = Conversation.tags.through
    through.objects.filter(tag=tag).delete()
    ids = Conversation.objects.filter(id__gte=0).values_list("id", flat=True)
    through.objects.bulk_create(
        [through(conversation_id=i, tag_id=tag.pk) for i in ids.iterator() if i % 100 == 0],
        batch_size=5000,
    )
    fields = rulebook.clean(
        name="Bench reminder",
        trigger="time",
        events=[],
        anchor="status_changed",
        delay_minutes=3 * 24 * 60,
        conditions_in={
            "match": "all",
            "items": [
                {"field": "status", "op": "in", "value": ["pending"]},
                {"field": "priority", "op": "not_in", "value": ["low"]},
                {"field": "language", "op": "in", "value": LANGS},
                {"field": "tags", "op": "has_any", "value": ["remind-me"]},
            ],
        },
        actions_in=[{"type": "priority", "value": "high"}],
    )
    rule = rulebook.save_rule(Rule(), fields, enabled=True, user=None)
    now = timezone.now()
    due = Conversation.objects.filter(
        status="pending", status_changed_at__lte=now - timedelta(days=3)
    ).count()
    started = time.monotonic()
    made = timers.sweep_rule(rule.pk, now)
    took = time.monotonic() - started
    print(
        f"  time-rule sweep ({connection.vendor}): {due:,} due conversations swept in {took:.1f}s"
        f" ({due / took:,.0f}/s); {made:,} matched and ran"
    )
    started = time.monotonic()
    again = timers.sweep_rule(rule.pk, timezone.now())
    print(
        f"  the next turn (nothing new due): {again} runs in {(time.monotonic() - started) * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--all-pending", action="store_true")
    args = parser.parse_args()
    print("Automation rules")
    event_rules(args.messages, args.rules)
    if args.all_pending:
        make_pending()
    time_rule()


if __name__ == "__main__":
    main()
