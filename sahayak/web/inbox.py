"""The shared inbox: which conversations a view shows, in which order, one page at a time.

Each page costs a fixed number of queries whatever its size: the conversation rows (with
contact, assignee and team joined), the latest message of each for the preview, and tags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import Max
from django.db.models.functions import Substr
from django.http import QueryDict

from sahayak.accounts.models import User
from sahayak.conversations import queries
from sahayak.conversations.models import OPEN_STATUSES, Direction, Message, Status
from sahayak.conversations.queries import SORTS, capped_count
from sahayak.conversations.services import tags_by_conversation
from sahayak.ids import parse_id

VIEWS = ("unassigned", "mine", "all")
PAGE_SIZE = 50
PREVIEW_CHARS = 140

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
    "reply_failed",
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
    reply_failed: bool = False
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
            reply_failed=params.get("failed") == "1",
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
            "failed": "1" if self.reply_failed else "",
            "sort": "" if self.sort == "waiting" else self.sort,
        }
        values.update(overrides)
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})

    def for_user(self, user: User) -> queries.ConversationFilter:
        return queries.ConversationFilter(
            statuses=self.statuses,
            unassigned=self.view == "unassigned",
            assignee_id=user.pk if self.view == "mine" else None,
            team_id=self.team_id,
            channel=self.channel,
            inbox_id=self.inbox_id,
            tag=self.tag,
            priority=self.priority,
            reply_failed=self.reply_failed,
            sort=self.sort,
        )


def page(
    user: User, f: InboxFilter, cursor: str | None, limit: int = PAGE_SIZE
) -> tuple[list[dict[str, Any]], str | None]:
    rows, next_cursor = queries.page(
        user, f.for_user(user), fields=ROW_FIELDS, cursor=cursor, limit=limit
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


def view_counts(user: User) -> dict[str, int]:
    """Open conversations in the Unassigned and Mine views (capped): what those views list."""
    return {
        view: capped_count(queries.filtered(user, InboxFilter(view=view).for_user(user)))
        for view in ("unassigned", "mine")
    }
