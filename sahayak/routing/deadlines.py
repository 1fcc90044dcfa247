"""SLA deadlines of stored conversations: which policy applies, the facts from the database,
and the stored clocks (``ConversationSla``), recomputed in batches.

The arithmetic is ``sla.clocks`` (pure); this module only reads its inputs and writes its
result, a fixed number of queries per batch however many conversations it holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from sahayak.conversations.events import EventKind
from sahayak.conversations.models import (
    OPEN_STATUSES,
    Conversation,
    Direction,
    Event,
    Message,
)
from sahayak.conversations.services import tags_by_conversation

from . import sla, watch
from .calendars import ALWAYS, BusinessCalendar
from .models import Calendar, ConversationSla, Holiday, RoutingPolicy, SlaPolicy

BATCH = 1000


@dataclass(frozen=True)
class Subject:
    """What SLA conditions look at."""

    channel: str
    inbox_id: int
    team_id: int | None
    priority: str
    tags: frozenset[str]
    organization_id: int | None
    custom_fields: dict[str, Any]


def matches(conditions: dict[str, Any], s: Subject) -> bool:
    """Every condition given must hold; a list condition holds when the value is in it."""
    checks: list[tuple[str, Any]] = [
        ("channel", s.channel),
        ("inbox", s.inbox_id),
        ("team", s.team_id),
        ("priority", s.priority),
        ("organization", s.organization_id),
    ]
    for name, value in checks:
        wanted = conditions.get(name)
        if wanted and value not in wanted:
            return False
    tags = conditions.get("tag")
    if tags and not s.tags & {t.casefold() for t in tags}:
        return False
    for name, value in (conditions.get("custom_field") or {}).items():
        if str(s.custom_fields.get(name, "")) != str(value):
            return False
    return True


def first_matching(policies: Sequence[SlaPolicy], s: Subject) -> SlaPolicy | None:
    return next((p for p in policies if p.is_active and matches(p.conditions, s)), None)


def targets_of(policy: SlaPolicy) -> sla.Targets:
    def minutes(value: int | None) -> timedelta | None:
        return timedelta(minutes=value) if value else None

    return sla.Targets(
        first_response=minutes(policy.first_response_minutes),
        next_response=minutes(policy.next_response_minutes),
        periodic_update=minutes(policy.periodic_update_minutes),
        resolution=minutes(policy.resolution_minutes),
    )


class Calendars:
    """Business calendars by id, read once (with their holidays) for a batch."""

    def __init__(self) -> None:
        rows = list(Calendar.objects.all())
        holidays: dict[int, list[Holiday]] = {}
        for h in Holiday.objects.all():
            holidays.setdefault(h.calendar_id, []).append(h)
        self.by_id = {c.pk: c.business_calendar(holidays.get(c.pk, [])) for c in rows}
        self.by_inbox: dict[int, int] = {}
        self.by_team: dict[int, int] = {}
        for p in RoutingPolicy.objects.filter(calendar__isnull=False):
            if p.inbox_id:
                self.by_inbox[p.inbox_id] = p.calendar_id  # type: ignore[assignment]
            elif p.team_id:
                self.by_team[p.team_id] = p.calendar_id  # type: ignore[assignment]

    def of_conversation(self, inbox_id: int, team_id: int | None) -> BusinessCalendar | None:
        """The inbox's business hours, else its team's (None: no calendar set)."""
        cal = self.by_inbox.get(inbox_id) or (self.by_team.get(team_id) if team_id else None)
        return self.by_id.get(cal) if cal else None

    def for_policy(self, policy: SlaPolicy, inbox_id: int, team_id: int | None) -> BusinessCalendar:
        if not policy.business_hours:
            return ALWAYS
        if policy.calendar_id:
            return self.by_id.get(policy.calendar_id, ALWAYS)
        return self.of_conversation(inbox_id, team_id) or ALWAYS


def facts_of(conversations: Sequence[dict[str, Any]]) -> dict[int, list[sla.Fact]]:
    """The SLA facts of many conversations: two queries (messages, status changes)."""
    ids = [c["id"] for c in conversations]
    facts: dict[int, list[sla.Fact]] = {
        c["id"]: [sla.Fact(c["created_at"], "created")] for c in conversations
    }
    messages = Message.objects.filter(conversation_id__in=ids).exclude(direction=Direction.NOTE)
    for cid, direction, created_at, sent_at in messages.values_list(
        "conversation_id", "direction", "created_at", "sent_at"
    ).order_by("id"):
        if direction == Direction.INBOUND:
            facts[cid].append(sla.Fact(created_at, "customer"))
        elif sent_at is not None:
            facts[cid].append(sla.Fact(sent_at, "reply"))
    changes = Event.objects.filter(
        conversation_id__in=ids,
        kind__in=(EventKind.STATUS, EventKind.SNOOZED, EventKind.WOKEN),
    )
    for cid, kind, created_at, data in changes.values_list(
        "conversation_id", "kind", "created_at", "data"
    ).order_by("id"):
        if kind == EventKind.STATUS:
            facts[cid].append(sla.Fact(created_at, "status", str(data.get("to") or "")))
        else:
            facts[cid].append(
                sla.Fact(created_at, "snooze" if kind == EventKind.SNOOZED else "wake")
            )
    for items in facts.values():
        # The first customer message is the opening itself, not a second one.
        firsts = [i for i, f in enumerate(items) if f.kind == "customer"]
        if firsts and items[firsts[0]].at - items[0].at < timedelta(seconds=5):
            del items[firsts[0]]
        # A status change and the message that caused it share a moment: status first.
        items.sort(key=lambda f: (f.at, 0 if f.kind in ("created", "status", "wake") else 1))
    return facts


_FIELDS = (
    "id",
    "channel",
    "inbox_id",
    "team_id",
    "priority",
    "custom_fields",
    "created_at",
    "status",
    "contact__organization_id",
)


class Outcome(NamedTuple):
    """What is stored for one conversation."""

    policy: SlaPolicy | None
    clocks: dict[str, dict[str, Any]]
    plan: dict[str, list[Any]] | None


NO_POLICY = Outcome(None, {}, None)


def compute(
    rows: Sequence[dict[str, Any]], policies: Sequence[SlaPolicy], calendars: Calendars
) -> dict[int, Outcome]:
    """Policy and clocks of each conversation row (``_FIELDS``)."""
    tags = (
        tags_by_conversation([r["id"] for r in rows])
        if any(p.conditions.get("tag") for p in policies)
        else {}
    )
    subjects = {
        r["id"]: Subject(
            channel=r["channel"],
            inbox_id=r["inbox_id"],
            team_id=r["team_id"],
            priority=r["priority"],
            tags=frozenset(tags.get(r["id"], ())),
            organization_id=r["contact__organization_id"],
            custom_fields=r["custom_fields"] or {},
        )
        for r in rows
    }
    matched = {cid: first_matching(policies, s) for cid, s in subjects.items()}
    wanted = [r for r in rows if matched[r["id"]] is not None]
    facts = facts_of(wanted) if wanted else {}
    result: dict[int, Outcome] = {}
    for r in rows:
        policy = matched[r["id"]]
        if policy is None:
            result[r["id"]] = NO_POLICY
            continue
        calendar = calendars.for_policy(policy, r["inbox_id"], r["team_id"])
        plan = sla.plan(facts[r["id"]], targets_of(policy))
        result[r["id"]] = Outcome(policy, sla.evaluate(plan, calendar), plan)
    return result


def recompute(conversation_ids: Iterable[int]) -> int:
    """Compute and store the clocks of these conversations, in batches; how many stored."""
    ids = list(conversation_ids)
    policies = list(SlaPolicy.objects.filter(is_active=True))
    calendars = Calendars()
    done = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = list(Conversation.objects.filter(pk__in=chunk).values(*_FIELDS))
        done += store(compute(rows, policies, calendars))
    return done


_STORED = (
    "conversation_id",
    "policy_id",
    "clocks",
    "plan",
    "next_due",
    "next_metric",
    "announced",
    "watch_at",
    "computed_at",
)
_JSON = frozenset({"clocks", "plan", "announced"})
UPSERT_ROWS = 1000  # 9 parameters a row: well under every database's limit


def store(
    computed: dict[int, Outcome],
    announced: dict[int, list[str]] | None = None,
    plans: bool = True,
) -> int:
    """Write the clocks: one read of what was announced (unless given), then one upsert
    per ``UPSERT_ROWS`` rows. ``plans=False``: the kept plans stand (only re-measured).

    Written as ``INSERT ... ON CONFLICT DO UPDATE`` (PostgreSQL and SQLite both have it):
    the ORM's bulk update builds a CASE per field and row, slower than computing them.
    """
    if announced is None:
        announced = dict(
            ConversationSla.objects.filter(pk__in=list(computed)).values_list("pk", "announced")
        )
    now = timezone.now()
    rows = []
    for cid, (policy, clocks, plan) in computed.items():
        metric, due = sla.next_deadline(clocks)
        warn = timedelta(minutes=policy.warn_minutes) if policy else timedelta(0)
        still, watch_at = watch.watch_at(clocks, warn, announced.get(cid) or [])
        row = [
            cid,
            policy.pk if policy else None,
            json.dumps(clocks),
            datetime.fromisoformat(due) if due else None,
            metric,
            json.dumps(still),
            watch_at,
            now,
        ]
        if plans:
            row.insert(_PLAN, json.dumps(plan))
        rows.append(row)
    names = _STORED if plans else _STORED[:_PLAN] + _STORED[_PLAN + 1 :]
    with transaction.atomic():
        for start in range(0, len(rows), UPSERT_ROWS):
            _upsert(names, rows[start : start + UPSERT_ROWS])
    return len(computed)


_PLAN = _STORED.index("plan")


def _upsert(names: Sequence[str], values: list[list[Any]]) -> None:
    """Insert or update rows given as values of ``names`` (JSON already encoded)."""
    meta = ConversationSla._meta
    by_attname = {f.attname: f for f in meta.concrete_fields}
    fields = [by_attname[name] for name in names]
    columns = ", ".join(str(f.column) for f in fields)
    updates = ", ".join(f"{f.column} = excluded.{f.column}" for f in fields[1:])
    conflict = f"ON CONFLICT (conversation_id) DO UPDATE SET {updates}"
    # Only model metadata and placeholders are formatted into the SQL; values are parameters.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY into a scratch table, then one upsert from it: no parameter parsing.
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS sla_stage (LIKE {meta.db_table}) ON COMMIT DELETE ROWS"
            )
            with cursor.cursor.copy(f"COPY sla_stage ({columns}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {meta.db_table} ({columns}) SELECT {columns} FROM sla_stage {conflict}"  # noqa: S608
            )
            cursor.execute("TRUNCATE sla_stage")
            return
        prepared = [
            [
                v if f.name in _JSON else f.get_db_prep_value(v, connection)
                for f, v in zip(fields, row, strict=True)
            ]
            for row in values
        ]
        one = "(" + ", ".join(["%s"] * len(fields)) + ")"
        cursor.execute(
            f"INSERT INTO {meta.db_table} ({columns}) VALUES {', '.join([one] * len(values))} {conflict}",  # noqa: S608
            [v for row in prepared for v in row],
        )


def reevaluate_open(
    after_id: int = 0, batch: int = BATCH, up_to: int | None = None
) -> tuple[int, int | None]:
    """Business hours changed: measure the kept clocks of one batch of open conversations
    on the calendars as they are now; (done, next id or None).

    No event log is read: the clocks' runs (``ConversationSla.plan``) do not depend on the
    calendar. Conversations whose policy counts calendar time are left alone; those
    without a kept plan (or whose policy went away) are computed in full. ``up_to``: the
    last conversation id to take (work split by id range).
    """
    policies = {p.pk: p for p in SlaPolicy.objects.filter(is_active=True)}
    business = [pk for pk, p in policies.items() if p.business_hours]
    kept = ConversationSla.objects.filter(
        conversation_id__gt=after_id,
        conversation__status__in=OPEN_STATUSES,
        policy_id__in=business,
    )
    if up_to is not None:
        kept = kept.filter(conversation_id__lte=up_to)
    rows = list(
        kept.order_by("conversation_id").values_list(
            "conversation_id",
            "policy_id",
            "plan",
            "announced",
            "conversation__inbox_id",
            "conversation__team_id",
        )[:batch]
    )
    if not rows:
        return 0, None
    calendars = Calendars()
    outcomes: dict[int, Outcome] = {}
    announced: dict[int, list[str]] = {}
    full: list[int] = []
    for cid, policy_id, plan, said, inbox_id, team_id in rows:
        policy = policies.get(policy_id)
        if plan is None or policy is None:
            full.append(cid)
            continue
        calendar = calendars.for_policy(policy, inbox_id, team_id)
        outcomes[cid] = Outcome(policy, sla.evaluate(plan, calendar), plan)
        announced[cid] = said
    store(outcomes, announced, plans=False)
    if full:
        recompute(full)
    return len(rows), rows[-1][0] if len(rows) == batch else None


def recompute_open(
    after_id: int = 0, batch: int = BATCH, up_to: int | None = None
) -> tuple[int, int | None]:
    """Recompute one batch of open conversations after ``after_id`` (and up to ``up_to``):
    (done, next id or None)."""
    opened = Conversation.objects.filter(pk__gt=after_id, status__in=OPEN_STATUSES)
    if up_to is not None:
        opened = opened.filter(pk__lte=up_to)
    ids = list(opened.order_by("pk").values_list("pk", flat=True)[:batch])
    if not ids:
        return 0, None
    return recompute(ids), ids[-1] if len(ids) == batch else None


def due_at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def any_policy() -> bool:
    return SlaPolicy.objects.filter(is_active=True).exists()
