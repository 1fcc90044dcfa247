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

from . import config, sla, watch
from .calendars import ALWAYS, BusinessCalendar
from .models import ConversationSla, SlaPolicy

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
    """Business calendars by id, built once per configuration snapshot (``current``)."""

    def __init__(self, snapshot: config.RoutingConfig) -> None:
        self.by_id = {
            pk: c.business_calendar(snapshot.holidays.get(pk, []))
            for pk, c in snapshot.calendars.items()
        }
        self.by_inbox: dict[int, int] = {}
        self.by_team: dict[int, int] = {}
        for p in snapshot.routing_policies:
            if p.calendar_id is None:
                continue
            if p.inbox_id:
                self.by_inbox[p.inbox_id] = p.calendar_id
            elif p.team_id:
                self.by_team[p.team_id] = p.calendar_id

    @classmethod
    def current(cls) -> Calendars:
        """The calendars of the current configuration (built once per snapshot)."""
        snapshot = config.current()
        built = snapshot.derived.get("calendars")
        if built is None:
            built = snapshot.derived["calendars"] = cls(snapshot)
        return built  # type: ignore[no-any-return]

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
    plan: sla.Plan | None
    dues: dict[str, str]  # of the running clocks, as measured on the calendar


NO_POLICY = Outcome(None, None, {})


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
        result[r["id"]] = Outcome(policy, plan, sla.running_dues(plan, calendar))
    return result


def recompute(conversation_ids: Iterable[int]) -> int:
    """Compute and store the clocks of these conversations, in batches; how many stored."""
    ids = list(conversation_ids)
    policies = config.current().sla_policies
    calendars = Calendars.current()
    done = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        rows = list(Conversation.objects.filter(pk__in=chunk).values(*_FIELDS))
        done += store(compute(rows, policies, calendars))
    return done


_STORED = (
    "conversation_id",
    "policy_id",
    "plan",
    "next_due",
    "next_metric",
    "announced",
    "watch_at",
    "computed_at",
)
_JSON = frozenset({"plan", "announced"})
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
    for cid, (policy, plan, dues) in computed.items():
        metric, due = sla.next_deadline(dues)
        next_due = datetime.fromisoformat(due) if due else None
        warn = timedelta(minutes=policy.warn_minutes) if policy else timedelta(0)
        still, watch_at = watch.watch_at(dues, warn, announced.get(cid) or [])
        row = [
            cid,
            policy.pk if policy else None,
            next_due,
            metric,
            json.dumps(still),
            watch_at,
            now,
        ]
        if plans:
            row.insert(_PLAN, json.dumps(plan))
        rows.append(row)
    names = _STORED if plans else _STORED[:_PLAN] + _STORED[_PLAN + 1 :]
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            # Derived data in a transaction of its own: the commit need not wait for the
            # disk. A crash loses at most the last moments of work, and every later commit
            # with it (the log is written in order), so the task that did it is not marked
            # done either. Never inside a caller's transaction (it may hold a message).
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        for start in range(0, len(rows), UPSERT_ROWS):
            _upsert(names, rows[start : start + UPSERT_ROWS], existing=not plans)
    return len(computed)


_PLAN = _STORED.index("plan")


def _upsert(names: Sequence[str], values: list[list[Any]], existing: bool = False) -> None:
    """Insert or update rows given as values of ``names`` (JSON already encoded).
    ``existing``: the rows are known to be there (re-measured): update them."""
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
            if existing:
                # Plain UPDATE: half the work of an insert that turns into one.
                sets = ", ".join(f"{f.column} = s.{f.column}" for f in fields[1:])
                cursor.execute(
                    f"UPDATE {meta.db_table} t SET {sets} FROM sla_stage s"  # noqa: S608
                    " WHERE t.conversation_id = s.conversation_id"
                )
            else:
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
    after_id: int = 0,
    batch: int = BATCH,
    up_to: int | None = None,
    calendars: Calendars | None = None,
) -> tuple[int, int | None]:
    """Business hours changed: measure the kept clocks of one batch of open conversations
    on the calendars as they are now; (done, next id or None).

    No event log is read: the clocks' runs (``ConversationSla.plan``) do not depend on the
    calendar. Conversations whose policy counts calendar time are left alone; those
    without a kept plan (or whose policy went away) are computed in full. ``up_to``: the
    last conversation id to take (work split by id range); ``calendars``: as read for
    the batches before.
    """
    policies = {p.pk: p for p in SlaPolicy.objects.filter(is_active=True)}
    rows = _kept_plans(after_id, up_to, batch)
    if not rows:
        return 0, None
    calendars = calendars or Calendars.current()
    outcomes: dict[int, Outcome] = {}
    announced: dict[int, list[str]] = {}
    full: list[int] = []
    for cid, policy_id, plan, said, inbox_id, team_id in rows:
        plan, said = _json(plan), _json(said)
        if policy_id is None:
            continue  # no policy applies: no clocks
        policy = policies.get(policy_id)
        if policy is not None and not policy.business_hours:
            continue  # calendar time: business hours do not matter
        if plan is None or policy is None:
            full.append(cid)
            continue
        calendar = calendars.for_policy(policy, inbox_id, team_id)
        outcomes[cid] = Outcome(policy, plan, sla.running_dues(plan, calendar))
        announced[cid] = said
    if outcomes:
        store(outcomes, announced, plans=False)
    if full:
        recompute(full)
    return len(outcomes) + len(full), rows[-1][0] if len(rows) == batch else None


def _kept_plans(after_id: int, up_to: int | None, batch: int) -> list[tuple[Any, ...]]:
    """One batch of open conversations' kept clocks, in id order: (id, policy id, plan,
    announced, inbox id, team id); JSON as the driver gives it.

    Written in SQL to bound both sides of the join by id: given only the SLA side, the
    planner walks conversations from the first id for every batch (quadratic at 1M).
    The policy is checked by the caller: a condition on it leads the planner to read
    every row of the policy first.
    """
    sla_table = ConversationSla._meta.db_table
    conversations = Conversation._meta.db_table
    bounds = "s.conversation_id > %s AND c.id > %s"
    params: list[Any] = [after_id, after_id]
    if up_to is not None:
        bounds += " AND s.conversation_id <= %s AND c.id <= %s"
        params += [up_to, up_to]
    statuses = ", ".join(["%s"] * len(OPEN_STATUSES))
    params += [*OPEN_STATUSES, batch]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.conversation_id, s.policy_id, s.plan, s.announced, c.inbox_id, c.team_id"  # noqa: S608
            f" FROM {sla_table} s JOIN {conversations} c ON c.id = s.conversation_id"
            f" WHERE {bounds} AND c.status IN ({statuses})"
            " ORDER BY s.conversation_id LIMIT %s",
            params,
        )
        return cursor.fetchall()


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


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


def recompute_pass(
    after_id: int, up_to: int | None, full: bool, limit: int | None = None
) -> tuple[int, int | None]:
    """Open conversations after ``after_id`` (up to ``up_to``) in batches, from their logs
    (``full``) or by re-measuring the kept clocks, until the range is done or about
    ``limit`` are: (how many, the id to carry on after, or None when the range is done)."""
    calendars = Calendars.current()
    done, last = 0, after_id
    while limit is None or done < limit:
        if full:
            count, following = recompute_open(last, up_to=up_to)
        else:
            count, following = reevaluate_open(last, up_to=up_to, calendars=calendars)
        done += count
        if following is None:
            return done, None
        last = following
    return done, last


def reclaim() -> bool:
    """After a pass over every open conversation: give back the old row versions it left
    (PostgreSQL keeps one per row updated), so the next pass writes into free space
    instead of doubling the table. Not inside a transaction (VACUUM cannot be); whether
    it ran."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {ConversationSla._meta.db_table}")
    return True


def clocks_of(row: ConversationSla, calendars: Calendars | None = None) -> dict[str, Any]:
    """The conversation's clocks, as the side panel and the API show them: the kept plan
    measured on its calendar (``sla.evaluate``). Nothing without a policy."""
    if row.policy is None or not row.plan:
        return {}
    conversation = row.conversation
    calendar = (calendars or Calendars.current()).for_policy(
        row.policy, conversation.inbox_id, conversation.team_id
    )
    return sla.evaluate(row.plan, calendar)


def due_at(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def any_policy() -> bool:
    return bool(config.current().sla_policies)
