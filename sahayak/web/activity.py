"""The activity list of a conversation: each event in the agent's language, old -> new."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db.models import TextChoices
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from sahayak.accounts.models import Team, User
from sahayak.conversations import channels
from sahayak.conversations.events import EventKind
from sahayak.conversations.models import DeliveryStatus, Event, Priority, Status
from sahayak.routing.models import Metric, Policy


@dataclass(frozen=True)
class Activity:
    event: Event
    title: str
    old: str
    new: str
    # Why it happened, when the system did it (an automatic assignment, an SLA deadline).
    detail: str = ""
    # Where to read more (a rule run's trace).
    link: str = ""


def _routing_reasons() -> dict[str, str]:
    return {
        "chosen": _("assigned by the policy"),
        "language": _("speaks the customer's language"),
        "language_fallback": _("no agent speaking the customer's language was free in time"),
        "skills_fallback": _("no agent with the required skills was free"),
        "returned": _("returned to the queue: the agent was away too long"),
        "backup": _("given to the backup of an absent agent"),
        "reopened_absent": _("reopened while its agent was not online"),
    }


def _detail(row: Event, users: dict[int, str]) -> str:
    """Why the system made this change, in words."""
    routing = row.data.get("routing")
    if row.kind == EventKind.ASSIGNEE and isinstance(routing, dict):
        policy = choice_label(Policy, routing.get("policy", ""))
        reason = _routing_reasons().get(str(routing.get("reason")), str(routing.get("reason", "")))
        considered = len(routing.get("considered") or [])
        return _("%(policy)s: %(reason)s (%(n)d agents considered)") % {
            "policy": policy,
            "reason": reason,
            "n": considered,
        }
    if row.kind == EventKind.RULE_RAN:
        return str(row.data.get("name", ""))
    if row.kind == EventKind.RATED:
        return str(row.data.get("comment", ""))
    if row.data.get("cause"):
        return _("done by an automation rule")
    if row.kind in (EventKind.SLA_WARNING, EventKind.SLA_BREACHED):
        due = parse_datetime(str(row.data.get("due", "")))
        when = date_format(timezone.localtime(due), "SHORT_DATETIME_FORMAT") if due else ""
        return _("%(metric)s due %(when)s") % {
            "metric": choice_label(Metric, row.data.get("metric", "")),
            "when": when,
        }
    return ""


def _link(row: Event) -> str:
    run = row.data.get("run") if row.kind == EventKind.RULE_RAN else None
    return reverse("web:rule_run", args=[run]) if isinstance(run, int) else ""


def choice_label(choices: type[TextChoices], value: Any) -> str:
    """The translated label of a stored choice (the raw value if it is not one any more)."""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _choice(choices: type[TextChoices]) -> Callable[[Any], str]:
    return partial(choice_label, choices)


def _listed(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _number(value: Any) -> str:
    return f"#{value}"


_PEOPLE = {EventKind.ASSIGNEE: "user", EventKind.TEAM: "team"}


def _names(rows: list[Event]) -> tuple[dict[int, str], dict[int, str]]:
    """Names of the agents and teams these events mention: two queries at most."""
    ids: dict[str, set[int]] = {"user": set(), "team": set()}
    for row in rows:
        side = _PEOPLE.get(EventKind(row.kind)) if row.kind in EventKind.values else None
        if side:
            ids[side].update(v for v in (row.data.get("from"), row.data.get("to")) if v)
    users = {u.pk: str(u) for u in User.objects.filter(pk__in=ids["user"])} if ids["user"] else {}
    teams = (
        dict(Team.objects.filter(pk__in=ids["team"]).values_list("pk", "name"))
        if ids["team"]
        else {}
    )
    return users, teams


def describe(rows: list[Event]) -> list[Activity]:
    """Each event with a translated title and its old and new values in words."""
    users, teams = _names(rows)
    formats: dict[str, Callable[[Any], str]] = {
        EventKind.STATUS: _choice(Status),
        EventKind.CREATED: _choice(Status),
        EventKind.PRIORITY: _choice(Priority),
        EventKind.ASSIGNEE: lambda v: users.get(v, f"#{v}"),
        EventKind.TEAM: lambda v: teams.get(v, f"#{v}"),
        EventKind.REPLY_SENT: _choice(DeliveryStatus),
        EventKind.REPLY_FAILED: _choice(DeliveryStatus),
        EventKind.DELIVERY_REPORT: _choice(DeliveryStatus),
        EventKind.REPLY_RETRIED: channels.label,
        EventKind.MERGED_INTO: _number,
        EventKind.MERGED_FROM: _number,
        EventKind.MERGE_UNDONE: _number,
        EventKind.LINKED: _number,
        EventKind.UNLINKED: _number,
        EventKind.CONTACT_CHANGED: _number,
    }
    shown = []
    for row in rows:
        fmt = formats.get(row.kind, _listed)
        empty = _("nobody") if row.kind in _PEOPLE else "—"

        def word(value: Any, fmt: Callable[[Any], str] = fmt, empty: str = empty) -> str:
            return fmt(value) if value not in (None, [], {}) else empty

        old, new = row.data.get("from"), row.data.get("to")
        changed = not (old is None and new is None)
        shown.append(
            Activity(
                event=row,
                title=choice_label(EventKind, row.kind),
                old=word(old) if changed else "",
                new=word(new) if changed else "",
                detail=_detail(row, users),
                link=_link(row),
            )
        )
    return shown
