"""The shared inbox: which conversations a view shows, in which order, one page at a time.

Each page costs a fixed number of queries whatever its size: the conversation rows (with
contact, assignee and team joined), the latest message of each for the preview, and tags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import Max, QuerySet
from django.db.models.functions import Substr
from django.http import QueryDict

from sahayak.accounts.models import User
from sahayak.conversations.models import OPEN_STATUSES, Conversation, Direction, Message, Status
from sahayak.conversations.permissions import visible_conversations
from sahayak.conversations.services import tags_by_conversation
from sahayak.ids import parse_id
from sahayak.pagination import keyset_page

VIEWS = ("unassigned", "mine", "all")
SORTS = {"waiting": ["waiting_since", "id"], "newest": ["-id"], "oldest": ["id"]}
PAGE_SIZE = 50
PREVIEW_CHARS = 140
COUNT_CAP = 999

ROW_FIELDS = (
    "id",
    "subject",
    "status",
    "priority",
    "channel",
    "contact_id",
    "contact__name",
    "assignee_id",
    "assignee__username",
    "assignee__first_name",
    "assignee__last_name",
    "team__name",
    "waiting_since",
    "last_message_at",
    "created_at",
)


@dataclass
class InboxFilter:
    view: str = "unassigned"
    statuses: list[str] = field(default_factory=lambda: [str(s) for s in OPEN_STATUSES])
    team_id: int | None = None
    channel: str = ""
    inbox_id: int | None = None
    tag: str = ""
    priority: str = ""
    sort: str = "waiting"

    @classmethod
    def from_query(cls, params: QueryDict) -> InboxFilter:
        view = params.get("view", "unassigned")
        status = params.get("status", "")
        statuses = [str(s) for s in OPEN_STATUSES]
        if status == "any":
            statuses = []
        elif status in Status.values:
            statuses = [status]
        return cls(
            view=view if view in VIEWS else "unassigned",
            statuses=statuses,
            team_id=parse_id(params.get("team")),
            channel=params.get("channel", "")[:32],
            inbox_id=parse_id(params.get("inbox")),
            tag=params.get("tag", "").strip().casefold()[:64],
            priority=params.get("priority", "")[:16],
            sort=params.get("sort", "waiting") if params.get("sort") in SORTS else "waiting",
        )

    @property
    def status_param(self) -> str:
        if not self.statuses:
            return "any"
        return self.statuses[0] if len(self.statuses) == 1 else ""

    def query(self, **overrides: Any) -> str:
        """The query string for this filter (with ``overrides``), defaults left out."""
        values = {
            "view": self.view,
            "status": self.status_param,
            "team": self.team_id or "",
            "channel": self.channel,
            "inbox": self.inbox_id or "",
            "tag": self.tag,
            "priority": self.priority,
            "sort": "" if self.sort == "waiting" else self.sort,
        }
        values.update(overrides)
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


def filtered(user: User, f: InboxFilter) -> QuerySet[Conversation]:
    qs = visible_conversations(user).filter(merged_into__isnull=True)
    if f.view == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif f.view == "mine":
        qs = qs.filter(assignee=user)
    if f.statuses:
        qs = qs.filter(status__in=f.statuses)
    if f.team_id:
        qs = qs.filter(team_id=f.team_id)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.inbox_id:
        qs = qs.filter(inbox_id=f.inbox_id)
    if f.priority:
        qs = qs.filter(priority=f.priority)
    if f.tag:
        qs = qs.filter(tags__name=f.tag)
    if f.sort == "waiting":
        qs = qs.filter(waiting_since__isnull=False)
    return qs


def page(
    user: User, f: InboxFilter, cursor: str | None, limit: int = PAGE_SIZE
) -> tuple[list[dict[str, Any]], str | None]:
    rows, next_cursor = keyset_page(
        filtered(user, f).values(*ROW_FIELDS), keys=SORTS[f.sort], cursor=cursor, limit=limit
    )
    return with_previews_and_tags(rows), next_cursor


def with_previews_and_tags(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add each row's last customer/agent message (not notes) and tags: two queries."""
    if not rows:
        return rows
    ids = [row["id"] for row in rows]
    latest = (
        Message.objects.filter(conversation_id__in=ids)
        .exclude(direction=Direction.NOTE)
        .values("conversation_id")
        .annotate(last=Max("id"))
        .values("last")
    )
    previews = {
        item["conversation_id"]: item
        for item in Message.objects.filter(id__in=latest).values(
            "conversation_id", "direction", preview=Substr("text", 1, PREVIEW_CHARS)
        )
    }
    tags = tags_by_conversation(ids)
    for row in rows:
        last = previews.get(row["id"])
        row["preview"] = last["preview"] if last else ""
        row["preview_outbound"] = bool(last and last["direction"] == Direction.OUTBOUND)
        row["tags"] = tags.get(row["id"], [])
        row["assignee_name"] = (
            f"{row['assignee__first_name'] or ''} {row['assignee__last_name'] or ''}".strip()
            or row["assignee__username"]
            or ""
        )
    return rows


def capped_count(qs: QuerySet[Any]) -> int:
    """How many, counting no further than COUNT_CAP + 1 (cheap at a million rows)."""
    return qs.order_by()[: COUNT_CAP + 1].count()


def view_counts(user: User) -> dict[str, int]:
    """Open conversations in the Unassigned and Mine views (capped)."""
    return {
        view: capped_count(filtered(user, InboxFilter(view=view, sort="newest")))
        for view in ("unassigned", "mine")
    }
