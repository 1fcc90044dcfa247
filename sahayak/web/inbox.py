"""The shared inbox: which conversations a view shows, in which order, one page at a time.

Each page costs a fixed number of queries whatever its size: the conversation rows (with
contact, assignee and team joined), the latest message of each for the preview, and tags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Max, QuerySet
from django.db.models.functions import Substr
from django.http import QueryDict
from django.utils import timezone

from sahayak.accounts.models import User
from sahayak.conversations import queries
from sahayak.conversations.models import OPEN_STATUSES, Direction, Message, Status
from sahayak.conversations.queries import SORTS, capped_count
from sahayak.conversations.services import tags_by_conversation
from sahayak.ids import parse_id
from sahayak.pagination import keyset_page

VIEWS = ("unassigned", "mine", "all", "breaching", "snoozed")
# "Breaching soon": open conversations whose next SLA deadline is this close, or past.
BREACHING_WITHIN = timedelta(hours=1)
# Orders of this page beyond the core's: by next SLA deadline (then the rest, newest first).
DEADLINE_SORT = "deadline"
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
    "sla__next_due",
    "sla__next_metric",
    "sla__policy__warn_minutes",
    "snoozed_until",
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
            sort=params.get("sort", "waiting")
            if params.get("sort") in (*SORTS, DEADLINE_SORT)
            else "waiting",
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
            snoozed=self.view == "snoozed",
            sort=self.sort if self.sort in SORTS else "newest",
        )


def page(
    user: User, f: InboxFilter, cursor: str | None, limit: int = PAGE_SIZE
) -> tuple[list[dict[str, Any]], str | None]:
    if f.view == "breaching" or f.sort == DEADLINE_SORT:
        rows, next_cursor = _by_deadline(user, f, cursor, limit)
    else:
        rows, next_cursor = queries.page(
            user, f.for_user(user), fields=ROW_FIELDS, cursor=cursor, limit=limit
        )
    return with_previews_and_tags(rows), next_cursor


def _by_deadline(
    user: User, f: InboxFilter, cursor: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """Next SLA deadline first (on the index ``sla_next_due``); the breaching view stops
    at deadlines an hour away, the deadline sort goes on with the rest, newest first."""
    qs = queries.filtered(user, f.for_user(user)).values(*ROW_FIELDS)
    keys = ["sla__next_due", "id"]
    if f.view == "breaching":
        soon = qs.filter(sla__next_due__lte=timezone.now() + BREACHING_WITHIN)
        return keyset_page(soon, keys=keys, cursor=cursor, limit=limit)
    return queries.two_part_page(
        qs.filter(sla__next_due__isnull=False),
        keys,
        qs.filter(sla__next_due__isnull=True),
        cursor=cursor,
        limit=limit,
    )


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


# Counts beside every link of the views panel are read from the cache for this long: the
# panel asks again after live events, at most every few seconds.
COUNTS_CACHE_SECONDS = 10


def panel_filters(
    user: User, team_ids: list[int], channels: list[str], saved: list[tuple[int, str]]
) -> dict[str, QuerySet[Any]]:
    """Each link of the views panel ("team:3", "channel:email", "status:pending",
    "saved:7", ...) and the conversations it lists."""
    found: dict[str, QuerySet[Any]] = {}
    for view in ("unassigned", "mine", "snoozed"):
        found[f"view:{view}"] = queries.filtered(user, InboxFilter(view=view).for_user(user))
    every_open = queries.filtered(user, InboxFilter(view="all").for_user(user))
    found["view:all"] = every_open
    found["view:breaching"] = every_open.filter(
        sla__next_due__lte=timezone.now() + BREACHING_WITHIN
    )
    found["view:failed"] = queries.filtered(
        user, InboxFilter(view="all", statuses=[], reply_failed=True).for_user(user)
    )
    for team_id in team_ids:
        found[f"team:{team_id}"] = every_open.filter(team_id=team_id)
    for channel in channels:
        found[f"channel:{channel}"] = every_open.filter(channel=channel)
    for status in Status.values:
        by_status = InboxFilter(view="all", statuses=[status]).for_user(user)
        found[f"status:{status}"] = queries.filtered(user, by_status)
    for view_id, query in saved:
        flt = InboxFilter.from_query(QueryDict(query))
        if flt.view == "breaching":
            continue  # a moving window: counted only as the Breaching view
        found[f"saved:{view_id}"] = queries.filtered(user, flt.for_user(user))
    return found


def panel_counts(
    user: User,
    team_ids: list[int],
    channels: list[str],
    saved: list[tuple[int, str]],
    fresh: bool = False,
) -> dict[str, int]:
    """How many conversations each link of the views panel lists, each counted no further
    than COUNT_CAP + 1 (bounded work at a million conversations), cached briefly.
    ``fresh``: something changed (a live event), count again (the page asks at most every
    few seconds)."""
    cached = None if fresh else cached_panel_counts(user)
    if cached is not None:
        return cached
    counts = {
        name: capped_count(qs)
        for name, qs in panel_filters(user, team_ids, channels, saved).items()
    }
    cache.set(_counts_key(user), counts, COUNTS_CACHE_SECONDS)
    return counts


def _counts_key(user: User) -> str:
    return f"sahayak:inbox-counts:{user.pk}"


def cached_panel_counts(user: User) -> dict[str, int] | None:
    """The counts if they were computed in the last few seconds (the page shows them at
    once; otherwise its script asks for them, and the page never waits on them)."""
    cached = cache.get(_counts_key(user))
    return dict(cached) if cached is not None else None
