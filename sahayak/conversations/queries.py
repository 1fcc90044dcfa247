"""Conversation lists: the one query behind the workspace inbox and the API's list.

A filter narrows; a sort only orders. "Waiting" puts conversations waiting for an answer
first, longest waiting first (on the partial index ``conv_waiting``), then the others,
newest first: paging walks the first part, then the second, each on its own index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from sahayak.accounts.models import User
from sahayak.pagination import keyset_page

from .models import OPEN_STATUSES, Conversation
from .permissions import visible_conversations

SORTS: dict[str, list[str]] = {
    "waiting": ["waiting_since", "id"],
    "newest": ["-id"],
    "oldest": ["id"],
}
# A cursor into the second part of a two-part order (e.g. the conversations not waiting).
_REST = "rest."
COUNT_CAP = 999


@dataclass
class ConversationFilter:
    statuses: list[str] = field(default_factory=list)
    unassigned: bool = False
    assignee_id: int | None = None
    team_id: int | None = None
    channel: str = ""
    inbox_id: int | None = None
    tag: str = ""
    priority: str = ""
    contact_id: int | None = None
    reply_failed: bool = False
    # True: only snoozed conversations; False: open views leave them out until they wake.
    snoozed: bool = False
    sort: str = "newest"


def filtered(user: User, f: ConversationFilter) -> QuerySet[Conversation]:
    """What ``user`` may see that matches ``f`` (merged-away conversations left out)."""
    qs = visible_conversations(user).filter(merged_into__isnull=True)
    if f.unassigned:
        qs = qs.filter(assignee__isnull=True)
    elif f.assignee_id is not None:
        qs = qs.filter(assignee_id=f.assignee_id)
    if f.statuses:
        qs = qs.filter(status__in=f.statuses)
    exact = {
        "team_id": f.team_id,
        "channel": f.channel or None,
        "inbox_id": f.inbox_id,
        "priority": f.priority or None,
        "contact_id": f.contact_id,
    }
    qs = qs.filter(**{name: value for name, value in exact.items() if value is not None})
    if f.tag:
        qs = qs.filter(tags__name=f.tag.strip().casefold())
    if f.reply_failed:
        qs = qs.filter(reply_failed=True)
    if f.snoozed:
        qs = qs.filter(snoozed_until__isnull=False)
    elif f.statuses and set(f.statuses) <= set(OPEN_STATUSES):
        qs = qs.filter(snoozed_until__isnull=True)
    return qs


def page(
    user: User, f: ConversationFilter, *, fields: tuple[str, ...], cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of ``fields`` rows in ``f.sort`` order, and the cursor of the next page."""
    qs = filtered(user, f).values(*fields)
    if f.sort != "waiting":
        return keyset_page(qs, keys=SORTS[f.sort], cursor=cursor, limit=limit)
    return two_part_page(
        qs.filter(waiting_since__isnull=False),
        SORTS["waiting"],
        qs.filter(waiting_since__isnull=True),
        cursor=cursor,
        limit=limit,
    )


def two_part_page(
    first: QuerySet[Any, Any],
    first_keys: list[str],
    rest: QuerySet[Any, Any],
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[dict[str, Any]], str | None]:
    """Page through ``first`` in ``first_keys`` order, then ``rest`` newest first, each on
    its own index; a cursor into the second part is marked as such."""
    if cursor and cursor.startswith(_REST):
        rows, after = keyset_page(rest, keys=["-id"], cursor=cursor[len(_REST) :], limit=limit)
        return rows, _REST + after if after else None
    rows, after = keyset_page(first, keys=first_keys, cursor=cursor, limit=limit)
    if after:
        return rows, after
    if len(rows) == limit:  # the first part ended with this page; the rest comes next
        return rows, _REST if rest.exists() else None
    more, rest_after = keyset_page(rest, keys=["-id"], cursor=None, limit=limit - len(rows))
    return rows + more, _REST + rest_after if rest_after else None


def capped_count(qs: QuerySet[Any]) -> int:
    """How many, counting no further than COUNT_CAP + 1 (cheap at a million rows)."""
    return qs.order_by()[: COUNT_CAP + 1].count()
