"""The activity list of a conversation: each event in the agent's language, old -> new."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from sahayak.accounts.models import Team, User
from sahayak.conversations import channels, events
from sahayak.conversations.events import EventKind
from sahayak.conversations.models import DeliveryStatus, Event, Priority, Status


@dataclass(frozen=True)
class Activity:
    event: Event
    title: str
    old: str
    new: str


def _choice(choices: Any) -> Callable[[Any], str]:
    def label(value: Any) -> str:
        try:
            return str(choices(value).label)
        except ValueError:
            return str(value)

    return label


def _listed(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def _number(value: Any) -> str:
    return f"#{value}"


def describe(rows: list[Event]) -> list[Activity]:
    """Translated titles and values; agents and teams are named (two queries at most)."""
    ids: dict[str, set[int]] = {"user": set(), "team": set()}
    for row in rows:
        side = {EventKind.ASSIGNEE: "user", EventKind.TEAM: "team"}.get(row.kind)  # type: ignore[call-overload]
        if side:
            ids[side].update(v for v in (row.data.get("from"), row.data.get("to")) if v)
    users = {u.pk: str(u) for u in User.objects.filter(pk__in=ids["user"])} if ids["user"] else {}
    teams = (
        dict(Team.objects.filter(pk__in=ids["team"]).values_list("pk", "name"))
        if ids["team"]
        else {}
    )
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
        old, new = row.data.get("from"), row.data.get("to")
        nobody = "—" if row.kind not in (EventKind.ASSIGNEE, EventKind.TEAM) else _("nobody")
        shown.append(
            Activity(
                event=row,
                title=events.label(row.kind),
                old=""
                if old is None and new is None
                else (fmt(old) if old not in (None, [], {}) else nobody),
                new=""
                if old is None and new is None
                else (fmt(new) if new not in (None, [], {}) else nobody),
            )
        )
    return shown
