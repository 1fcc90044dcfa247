"""SLA clocks as a pure function of a conversation's event log.

``clocks(facts, targets, calendar)`` reads no clock and no database: the same facts give
the same deadlines, so stored deadlines can be checked by replaying the log, and editing a
calendar or a policy only means computing again.

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
from datetime import datetime, timedelta
from typing import Any

from .calendars import BusinessCalendar, add_business_time, business_time_between

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
    """One target's clock: how much of it is used, and whether it runs now."""

    metric: str
    target: timedelta
    started: datetime
    used: timedelta = timedelta(0)
    running_since: datetime | None = None
    stopped: datetime | None = None
    missed: bool = False
    cycle: int = 1

    def as_dict(self, calendar: BusinessCalendar) -> dict[str, Any]:
        state = MET
        due = None
        if self.stopped is not None:
            state = MISSED if self.missed else MET
        elif self.running_since is not None:
            state = RUNNING
            due = add_business_time(calendar, self.running_since, self.target - self.used)
        else:
            state = PAUSED
        return {
            "state": state,
            "due": due.isoformat() if due else None,
            "started": self.started.isoformat(),
            "stopped": self.stopped.isoformat() if self.stopped else None,
            "left_seconds": max(0, int((self.target - self.used).total_seconds())),
            "cycle": self.cycle,
        }


@dataclass
class _State:
    calendar: BusinessCalendar
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
        self.clocks[metric] = Clock(
            metric, target, at, running_since=None if self.paused else at, cycle=self.cycles[metric]
        )

    def pause(self, clock: Clock, at: datetime) -> None:
        if clock.running_since is not None:
            clock.used += business_time_between(self.calendar, clock.running_since, at)
            clock.running_since = None

    def stop(self, metric: str, at: datetime) -> None:
        clock = self.clocks.get(metric)
        if clock is None or clock.stopped is not None:
            return
        self.pause(clock, at)
        clock.stopped = at
        clock.missed = clock.used > clock.target

    def pause_all(self, at: datetime) -> None:
        for clock in self.clocks.values():
            if clock.stopped is None:
                self.pause(clock, at)

    def resume_all(self, at: datetime) -> None:
        for clock in self.clocks.values():
            if clock.stopped is None and clock.running_since is None:
                clock.running_since = at


def clocks(
    facts: Iterable[Fact], targets: Targets, calendar: BusinessCalendar
) -> dict[str, dict[str, Any]]:
    """Each target's clock after the facts: state, due time (while running), use so far."""
    state = _State(calendar, targets)
    for fact in sorted(facts, key=lambda f: f.at):
        _apply(state, fact)
    return {metric: clock.as_dict(calendar) for metric, clock in state.clocks.items()}


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
        for metric in (FIRST_RESPONSE, NEXT_RESPONSE, PERIODIC_UPDATE):
            state.stop(metric, at)
        resolution = state.clocks.get(RESOLUTION)
        if resolution is not None and resolution.stopped is None:
            state.pause(resolution, at)
            resolution.stopped = at
            resolution.missed = resolution.used > resolution.target
        return
    # Open again: a reopened resolution clock carries on with what it had used.
    if old in STOPPING:
        resolution = state.clocks.get(RESOLUTION)
        if resolution is not None:
            resolution.stopped = None
            resolution.missed = False
            resolution.running_since = None
    if state.paused:
        state.pause_all(at)
    else:
        state.resume_all(at)


def next_deadline(computed: dict[str, dict[str, Any]]) -> tuple[str, str | None]:
    """The running clock due first: (metric, due ISO time), or ("", None)."""
    running = [(c["due"], m) for m, c in computed.items() if c["state"] == RUNNING and c["due"]]
    if not running:
        return "", None
    due, metric = min(running)
    return metric, due
