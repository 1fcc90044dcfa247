"""Replay conversations into the facts reports read (``models``), and keep them current.

``replay`` is pure: a conversation's row, messages, status and assignee changes and
handle spans in, cycles and responses out. ``recompute`` does it for a batch of
conversations with a fixed number of queries and replaces their facts in one transaction.
``refresh`` follows the append-only logs (events, messages, handle spans) by id, so a
change is picked up even if the process that made it died right after committing; it is
a periodic job of the worker and safe to run in several workers at once (one at a time
holds the watermark).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from sahayak.conversations.events import EventKind
from sahayak.conversations.models import (
    Conversation,
    DeliveryStatus,
    Direction,
    Event,
    Message,
    Status,
)
from sahayak.feedback.models import Kind, Survey
from sahayak.routing.calendars import ALWAYS, BusinessCalendar, between_us, epoch_us
from sahayak.routing.deadlines import Calendars
from sahayak.routing.models import ConversationSla, SlaPolicy
from sahayak.routing.sla import MET, MISSED, evaluate

from .models import Cycle, HandleSpan, Response, SlaResult, Watermark

logger = logging.getLogger(__name__)

OPEN = frozenset({Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD})
DONE = frozenset({Status.SOLVED, Status.CLOSED})
# A reply counts as a response once its channel took it; one that failed never counts.
COUNTED = frozenset({DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.READ})
# Rows newer than this are read again on the next refresh: an id taken by a transaction
# that commits later than a higher one must not be skipped.
SETTLE = timedelta(seconds=10)


@dataclass(frozen=True)
class Item:
    """One thing that happened, in the order replay reads them."""

    at: datetime
    kind: str  # customer / reply / status / assignee / handle
    value: Any = None


@dataclass
class Facts:
    cycles: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)


def _seconds(calendar: BusinessCalendar, start: datetime, end: datetime) -> tuple[int, int]:
    """(calendar seconds, business seconds) from start to end."""
    calendar_s = max(0, int((end - start).total_seconds()))
    if calendar is ALWAYS:
        return calendar_s, calendar_s
    return calendar_s, max(0, between_us(calendar, epoch_us(start), epoch_us(end)) // 1_000_000)


def replay(
    created_at: datetime, items: Iterable[Item], calendar: BusinessCalendar = ALWAYS
) -> Facts:
    """Cycles and responses of one conversation (dimensions are added by the caller).

    A cycle starts at the opening and at each reopening (a change from solved or closed
    to an open status) and ends at the first change to solved or closed. A customer's
    wait starts at their first message not yet answered and ends at the next counted
    agent reply; the first such reply of a cycle is its first response.
    """
    order = {"status": 0, "assignee": 1, "customer": 2, "reply": 3, "handle": 4, "rating": 5}
    facts = Facts()
    assignee: int | None = None
    cycle = _new_cycle(1, created_at)
    waiting: datetime | None = None
    for item in sorted(items, key=lambda i: (i.at, order[i.kind])):
        if item.kind == "assignee":
            assignee = item.value
        elif item.kind == "handle":
            cycle["handle_s"] += item.value
        elif item.kind == "rating":  # a survey asked after this cycle's solve
            target = cycle if cycle["solved_at"] is not None else (facts.cycles or [cycle])[-1]
            target["csat"] = item.value
        elif item.kind == "customer":
            if waiting is None:
                waiting = item.at
        elif item.kind == "reply":
            cycle["replies"] += 1
            if waiting is not None:
                wait_s, wait_bs = _seconds(calendar, waiting, item.at)
                first = cycle["first_response_at"] is None
                if first:
                    cycle.update(
                        first_response_at=item.at,
                        first_response_s=wait_s,
                        first_response_bs=wait_bs,
                    )
                facts.responses.append(
                    {
                        "cycle": cycle["number"],
                        "is_first": first,
                        "responded_at": item.at,
                        "wait_s": wait_s,
                        "wait_bs": wait_bs,
                        "agent_id": item.value,
                    }
                )
                waiting = None
        elif item.kind == "status":
            old, new = item.value
            if new in DONE and cycle["solved_at"] is None:
                resolution_s, resolution_bs = _seconds(calendar, cycle["opened_at"], item.at)
                cycle.update(
                    solved_at=item.at,
                    resolution_s=resolution_s,
                    resolution_bs=resolution_bs,
                    agent_id=assignee,
                )
                waiting = None
            elif new in OPEN and old in DONE and cycle["solved_at"] is not None:
                cycle["reopened"] = True
                facts.cycles.append(cycle)
                cycle = _new_cycle(cycle["number"] + 1, item.at)
    if cycle["solved_at"] is None:
        cycle["agent_id"] = assignee
    facts.cycles.append(cycle)
    return facts


def _new_cycle(number: int, at: datetime) -> dict[str, Any]:
    return {
        "number": number,
        "opened_at": at,
        "first_response_at": None,
        "first_response_s": None,
        "first_response_bs": None,
        "solved_at": None,
        "resolution_s": None,
        "resolution_bs": None,
        "replies": 0,
        "handle_s": 0,
        "reopened": False,
        "csat": None,
        "agent_id": None,
    }


_CONVERSATION_FIELDS = (
    "id",
    "contact_id",
    "inbox_id",
    "team_id",
    "assignee_id",
    "channel",
    "language",
    "created_at",
    "status",
    "merged_into_id",
)


def _items(ids: Sequence[int]) -> dict[int, list[Item]]:
    """Everything replay reads, for many conversations: three queries."""
    items: dict[int, list[Item]] = {cid: [] for cid in ids}
    messages = Message.objects.filter(conversation_id__in=ids).exclude(direction=Direction.NOTE)
    for cid, direction, at, author, status, metadata in messages.values_list(
        "conversation_id",
        "direction",
        "created_at",
        "author_user_id",
        "delivery_status",
        "metadata",
    ):
        if direction == Direction.INBOUND:
            items[cid].append(Item(at, "customer"))
        elif author is not None and status in COUNTED and not (metadata or {}).get("automatic"):
            items[cid].append(Item(at, "reply", author))
    events = Event.objects.filter(
        conversation_id__in=ids, kind__in=(EventKind.STATUS, EventKind.ASSIGNEE)
    )
    for cid, kind, at, data in events.values_list("conversation_id", "kind", "created_at", "data"):
        if kind == EventKind.STATUS:
            items[cid].append(Item(at, "status", (data.get("from"), data.get("to"))))
        else:
            items[cid].append(Item(at, "assignee", data.get("to")))
    spans = HandleSpan.objects.filter(conversation_id__in=ids)
    for cid, at, seconds in spans.values_list("conversation_id", "started_at", "seconds"):
        items[cid].append(Item(at, "handle", seconds))
    ratings = Survey.objects.filter(
        conversation_id__in=ids, kind=Kind.CSAT, score__isnull=False
    ).order_by("answered_at")
    for cid, asked, score in ratings.values_list("conversation_id", "created_at", "score"):
        items[cid].append(Item(asked, "rating", score))
    return items


def _sla_results(rows: dict[int, dict[str, Any]], calendars: Calendars) -> list[SlaResult]:
    kept = list(
        ConversationSla.objects.filter(
            conversation_id__in=list(rows), plan__isnull=False, policy__isnull=False
        ).values_list("conversation_id", "policy_id", "plan")
    )
    policies = SlaPolicy.objects.in_bulk({p for _c, p, _plan in kept})
    results = []
    for cid, policy_id, plan in kept:
        row, policy = rows[cid], policies.get(policy_id)
        if policy is None or not plan:
            continue
        calendar = calendars.for_policy(policy, row["inbox_id"], row["team_id"])
        for metric, clock in evaluate(plan, calendar).items():
            if clock["state"] in (MET, MISSED) and clock["stopped"]:
                results.append(
                    SlaResult(
                        conversation_id=cid,
                        metric=metric,
                        stopped_at=datetime.fromisoformat(clock["stopped"]),
                        met=clock["state"] == MET,
                        **_dimensions(row, row["assignee_id"]),
                    )
                )
    return results


def _dimensions(row: dict[str, Any], agent_id: int | None) -> dict[str, Any]:
    return {
        "inbox_id": row["inbox_id"],
        "team_id": row["team_id"],
        "agent_id": agent_id,
        "channel": row["channel"],
        "language": row["language"] or "",
    }


def recompute(ids: Iterable[int], calendars: Calendars | None = None) -> int:
    """Replace the facts of these conversations; how many conversations have facts now.

    A conversation merged into another, or marked spam, has none: its messages count
    where they were moved, and spam is nobody's work.
    """
    ids = list(ids)
    if not ids:
        return 0
    calendars = calendars or Calendars.current()
    rows = {
        r["id"]: r for r in Conversation.objects.filter(pk__in=ids).values(*_CONVERSATION_FIELDS)
    }
    counted = {
        cid: r
        for cid, r in rows.items()
        if r["merged_into_id"] is None and r["status"] != Status.SPAM
    }
    items = _items(list(counted)) if counted else {}
    cycles, responses = [], []
    for cid, row in counted.items():
        calendar = calendars.of_conversation(row["inbox_id"], row["team_id"]) or ALWAYS
        facts = replay(row["created_at"], items[cid], calendar)
        for c in facts.cycles:
            agent = c.pop("agent_id")
            cycles.append(
                Cycle(
                    conversation_id=cid,
                    contact_id=row["contact_id"],
                    **c,
                    **_dimensions(row, agent),
                )
            )
        for r in facts.responses:
            agent = r.pop("agent_id")
            responses.append(Response(conversation_id=cid, **r, **_dimensions(row, agent)))
    sla = _sla_results(counted, calendars) if counted else []
    with transaction.atomic():
        for model in (Cycle, Response, SlaResult):
            model.objects.filter(conversation_id__in=ids).delete()
        Cycle.objects.bulk_create(cycles, batch_size=1000)
        Response.objects.bulk_create(responses, batch_size=1000)
        SlaResult.objects.bulk_create(sla, batch_size=1000)
        _mark_returns({r["contact_id"] for r in rows.values()})
    return len(counted)


def _mark_returns(contact_ids: set[int]) -> None:
    """Each solved cycle of these customers: how long until they next opened one."""
    if not contact_ids:
        return
    by_contact: dict[int, list[tuple[int, datetime, datetime | None, int | None]]] = {}
    for row in Cycle.objects.filter(contact_id__in=contact_ids).values_list(
        "contact_id", "id", "opened_at", "solved_at", "returned_s"
    ):
        by_contact.setdefault(row[0], []).append(row[1:])
    changed = []
    for cycles in by_contact.values():
        openings = sorted(opened for _id, opened, _s, _r in cycles)
        for pk, _opened, solved, returned in cycles:
            value = None
            if solved is not None:
                later = next((o for o in openings if o > solved), None)
                value = int((later - solved).total_seconds()) if later else None
            if value != returned:
                changed.append(Cycle(pk=pk, returned_s=value))
    Cycle.objects.bulk_update(changed, ["returned_s"], batch_size=1000)


# The append-only logs a change to a conversation leaves a row in.
_LOGS: tuple[tuple[str, Any, str], ...] = (
    ("events", Event, "created_at"),
    ("messages", Message, "created_at"),
    ("handle", HandleSpan, "started_at"),
)


def refresh(batch: int = 5000) -> tuple[int, bool]:
    """Recompute the conversations changed since the last refresh: (how many, whether a
    log had more rows than one batch)."""
    with transaction.atomic():
        settled = timezone.now() - SETTLE
        changed: set[int] = set()
        more = False
        for name, model, time_field in _LOGS:
            mark = Watermark.objects.select_for_update().get_or_create(name=name)[0]
            rows = list(
                model.objects.filter(pk__gt=mark.value)
                .order_by("pk")
                .values_list("pk", "conversation_id", time_field)[:batch]
            )
            more = more or len(rows) == batch
            changed.update(cid for _pk, cid, _at in rows)
            # Move the mark past the rows old enough never to be joined by a lower id
            # committed late; the newer ones are read again next time.
            stop = _last_settled(rows, settled)
            if stop > mark.value:
                mark.value = stop
                mark.save(update_fields=["value"])
        recompute(sorted(changed))
    return len(changed), more


def _last_settled(rows: list[tuple[int, int, datetime]], settled: datetime) -> int:
    """The id up to which every row read is settled (0: none is)."""
    last = 0
    for pk, _cid, at in rows:
        if at >= settled:
            break
        last = pk
    return last


def refresh_all() -> int:
    """Refresh until caught up (bounded), for the periodic job."""
    total = 0
    for _ in range(20):
        n, more = refresh()
        total += n
        if not more:
            break
    return total


def rebuild(batch: int = 1000, progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute the facts of every conversation (after an upgrade or an import), in
    batches by id, and move the watermarks to where the logs end now."""
    marks = {name: model.objects.aggregate(m=Max("pk"))["m"] or 0 for name, model, _t in _LOGS}
    total = Conversation.objects.count()
    calendars = Calendars.current()
    done, last = 0, 0
    while True:
        ids = list(
            Conversation.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch]
        )
        if not ids:
            break
        recompute(ids, calendars)
        done += len(ids)
        last = ids[-1]
        if progress:
            progress(done, total)
    for name, value in marks.items():
        Watermark.objects.update_or_create(name=name, defaults={"value": value})
    return done
