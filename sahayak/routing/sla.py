"""SLA clocks as a pure function of a conversation's event log.

``clocks(facts, targets, calendar)`` reads no clock and no database: the same facts give
the same deadlines, so stored deadlines can be checked by replaying the log, and editing a
calendar or a policy only means computing again. It is two steps: ``plan`` runs the facts
through the clocks' state machine, which never needs the calendar (when each clock ran),
and ``evaluate`` measures those runs on a calendar. The plan is stored, so a change of
business hours is measured again without reading any conversation's log.

The facts, in the order they happened:
- ``created``: the conversation opened (the customer's first message);
- ``customer``: a customer message;
- ``reply``: an agent's reply reached the customer (sent);
- ``status``: the status changed (to ``value``);
- ``snooze`` / ``wake``: an agent snoozed the conversation, and it came back.

The clocks:
- **first response** runs from ``created`` to the first reply;
- **next response** starts at a customer message after a reply (including one that
  reopens the conversation) and stops at the next reply; it never starts while the first
  response is still owed, so it cannot replace it;
- **periodic update** runs from each reply to the next while the conversation is open;
- **resolution** runs from ``created`` until solved, and carries on where it stopped if the
  conversation is reopened.

Pending (waiting on the customer), on hold and snoozed pause every clock; solved or closed
stops the running ones. A clock measures business time (inside the calendar's open intervals) or, with
the always-open calendar, calendar time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .calendars import BusinessCalendar, add_us, between_us, epoch_us, from_epoch_us

FIRST_RESPONSE = "first_response"
NEXT_RESPONSE = "next_response"
PERIODIC_UPDATE = "periodic_update"
RESOLUTION = "resolution"
METRICS = (FIRST_RESPONSE, NEXT_RESPONSE, PERIODIC_UPDATE, RESOLUTION)

PAUSING = frozenset({"pending", "on_hold"})
STOPPING = frozenset({"solved", "closed", "spam"})

RUNNING = "running"
PAUSED = "paused"
MET = "met"
MISSED = "missed"  # stopped after its deadline


@dataclass(frozen=True)
class Fact:
    at: datetime
    kind: str  # created / customer / reply / status
    value: str = ""


@dataclass(frozen=True)
class Targets:
    first_response: timedelta | None = None
    next_response: timedelta | None = None
    periodic_update: timedelta | None = None
    resolution: timedelta | None = None

    def of(self, metric: str) -> timedelta | None:
        target: timedelta | None = getattr(self, metric)
        return target


@dataclass
class Clock:
    """One target's clock: when it ran (open segments), and whether it has stopped.

    The state machine never looks at the calendar: which segments a clock ran is the same
    for every calendar, so the clock can be kept and measured again against another one
    (``evaluate``) when business hours change, without reading the event log.
    """

    metric: str
    target: timedelta
    started: datetime
    # (from, to) while the clock ran; ``to`` is None for the segment running now.
    segments: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    stopped: datetime | None = None
    cycle: int = 1

    @property
    def running_since(self) -> datetime | None:
        if self.segments and self.segments[-1][1] is None:
            return self.segments[-1][0]
        return None

    def dump(self) -> list[Any]:
        """A compact, JSON-ready form: the runs as epoch microseconds (for arithmetic), the
        start and stop as they are shown (ISO, UTC)."""
        flat: list[int | None] = []
        for a, b in self.segments:
            flat += [epoch_us(a), epoch_us(b) if b is not None else None]
        return [
            self.target // timedelta(microseconds=1),
            self.started.astimezone(UTC).isoformat(),
            self.stopped.astimezone(UTC).isoformat() if self.stopped is not None else None,
            self.cycle,
            flat,
        ]


def _iso(value: int | None) -> str | None:
    return _iso_of(value) if value is not None else None


def _iso_of(value: int) -> str:
    return from_epoch_us(value).isoformat()


@dataclass
class _State:
    targets: Targets
    status: str = "new"
    clocks: dict[str, Clock] = field(default_factory=dict)
    cycles: dict[str, int] = field(default_factory=dict)
    replied: bool = False
    snoozed: bool = False

    @property
    def paused(self) -> bool:
        return self.snoozed or self.status in PAUSING or self.status in STOPPING

    def start(self, metric: str, at: datetime) -> None:
        target = self.targets.of(metric)
        if target is None:
            return
        self.cycles[metric] = self.cycles.get(metric, 0) + 1
        clock = Clock(metric, target, at, cycle=self.cycles[metric])
        if not self.paused:
            clock.segments.append((at, None))
        self.clocks[metric] = clock

    def pause(self, clock: Clock, at: datetime) -> None:
        since = clock.running_since
        if since is not None:
            clock.segments[-1] = (since, at)

    def stop(self, metric: str, at: datetime) -> None:
        clock = self.clocks.get(metric)
        if clock is None or clock.stopped is not None:
            return
        self.pause(clock, at)
        clock.stopped = at

    def pause_all(self, at: datetime) -> None:
        for clock in self.clocks.values():
            if clock.stopped is None:
                self.pause(clock, at)

    def resume_all(self, at: datetime) -> None:
        for clock in self.clocks.values():
            if clock.stopped is None and clock.running_since is None:
                clock.segments.append((at, None))


Plan = dict[str, list[Any]]  # metric -> ``Clock.dump()``: JSON as stored


def plan(facts: Iterable[Fact], targets: Targets) -> Plan:
    """Each target's clock after the facts, before any calendar: when it ran."""
    state = _State(targets)
    for fact in sorted(facts, key=lambda f: f.at):
        _apply(state, fact)
    return {metric: clock.dump() for metric, clock in state.clocks.items()}


def _measure(clock: list[Any], calendar: BusinessCalendar) -> tuple[str, int, int | None]:
    """One kept clock on the calendar: (state, open time used, due) in microseconds."""
    target, _started, stopped, _cycle, flat = clock
    used, since = 0, None
    for i in range(0, len(flat), 2):
        if flat[i + 1] is None:
            since = flat[i]
        else:
            used += between_us(calendar, flat[i], flat[i + 1])
    if stopped is not None:
        return (MISSED if used > target else MET), used, None
    if since is None:
        return PAUSED, used, None
    # Reopened after its deadline: due (and breached) from the moment it runs again.
    return RUNNING, used, add_us(calendar, since, target - used) if target > used else since


def evaluate(kept: Plan, calendar: BusinessCalendar) -> dict[str, dict[str, Any]]:
    """Each clock measured on the calendar: state, due time (while running), use so far."""
    result = {}
    for metric, clock in kept.items():
        state, used, due = _measure(clock, calendar)
        target, started, stopped, cycle, _flat = clock
        result[metric] = {
            "state": state,
            "due": _iso(due),
            "started": started,
            "stopped": stopped,
            "left_seconds": max(0, (target - used) // 1_000_000),
            "cycle": cycle,
        }
    return result


def running_dues(kept: Plan, calendar: BusinessCalendar) -> dict[str, str]:
    """The due time (ISO, UTC) of each running clock: all that is stored of a measure.

    A calendar edit measures a million clocks again, and this is all it does for each.
    """
    dues = {}
    for metric, clock in kept.items():
        if clock[2] is None:  # not stopped
            _state, _used, due = _measure(clock, calendar)
            if due is not None:
                dues[metric] = _iso_of(due)
    return dues


def clocks(
    facts: Iterable[Fact], targets: Targets, calendar: BusinessCalendar
) -> dict[str, dict[str, Any]]:
    """Each target's clock after the facts: state, due time (while running), use so far."""
    return evaluate(plan(facts, targets), calendar)


def _apply(state: _State, fact: Fact) -> None:
    at = fact.at
    if fact.kind == "created":
        state.status = "new"
        state.start(FIRST_RESPONSE, at)
        state.start(RESOLUTION, at)
    elif fact.kind == "customer":
        if state.replied and not _owed(state, NEXT_RESPONSE):
            state.start(NEXT_RESPONSE, at)
    elif fact.kind == "reply":
        state.replied = True
        state.stop(FIRST_RESPONSE, at)
        state.stop(NEXT_RESPONSE, at)
        state.stop(PERIODIC_UPDATE, at)
        state.start(PERIODIC_UPDATE, at)
    elif fact.kind == "status":
        _status(state, fact.value, at)
    elif fact.kind == "snooze":
        state.snoozed = True
        state.pause_all(at)
    elif fact.kind == "wake" and state.snoozed:
        state.snoozed = False
        if not state.paused:
            state.resume_all(at)


def _owed(state: _State, metric: str) -> bool:
    clock = state.clocks.get(metric)
    return clock is not None and clock.stopped is None


def _status(state: _State, status: str, at: datetime) -> None:
    old, state.status = state.status, status
    if status in STOPPING:
        for metric in METRICS:
            state.stop(metric, at)
        return
    # Open again: a reopened resolution clock carries on with what it had used.
    if old in STOPPING:
        resolution = state.clocks.get(RESOLUTION)
        if resolution is not None:
            resolution.stopped = None
    if state.paused:
        state.pause_all(at)
    else:
        state.resume_all(at)


def next_deadline(dues: dict[str, str]) -> tuple[str, str | None]:
    """The running clock due first: (metric, due ISO time), or ("", None)."""
    if not dues:
        return "", None
    due, metric = min((d, m) for m, d in dues.items())
    return metric, due
