"""A customer's timeline: every interaction, across channels, newest first, in one list.

Messages (of the conversations the agent may see), orders, survey answers and help center
articles read in the portal. Each source is read newest first with a limit and the lists
merged, so a page costs one bounded query per source however long the history is; the
next page starts before the oldest time shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from sahayak.accounts.models import User
from sahayak.contacts.models import Contact, Order
from sahayak.conversations.models import Direction, Message
from sahayak.conversations.permissions import visible_conversations
from sahayak.feedback.models import Survey
from sahayak.knowledge.models import ArticleTranslation
from sahayak.portal.models import ArticleRead

PAGE = 30
KINDS = {
    "message": _("Messages"),
    "order": _("Orders"),
    "survey": _("Survey answers"),
    "article": _("Articles read"),
}


@dataclass
class Entry:
    kind: str
    at: datetime
    item: Any


def _before(qs: Any, field: str, before: datetime | None) -> Any:
    return qs.filter(**{f"{field}__lt": before}) if before else qs


def entries(
    user: User,
    contact: Contact,
    kinds: set[str],
    before: datetime | None,
    limit: int | None = None,
) -> tuple[list[Entry], datetime | None]:
    """One page of the timeline and the time the next page starts before (None: the end)."""
    limit = limit or PAGE
    found: list[Entry] = []
    if "message" in kinds:
        conversations = visible_conversations(user).filter(contact=contact).values("id")
        messages = (
            Message.objects.filter(conversation_id__in=conversations)
            .filter(Q(direction=Direction.INBOUND) | Q(direction=Direction.OUTBOUND))
            .select_related("conversation", "author_user")
            .order_by("-created_at", "-id")
        )
        found += [
            Entry("message", m.created_at, m)
            for m in _before(messages, "created_at", before)[:limit]
        ]
    if "order" in kinds:
        orders = Order.objects.filter(contact=contact).order_by("-ordered_at", "-id")
        found += [
            Entry("order", o.ordered_at, o) for o in _before(orders, "ordered_at", before)[:limit]
        ]
    if "survey" in kinds:
        answers = Survey.objects.filter(contact=contact, answered_at__isnull=False).order_by(
            "-answered_at", "-id"
        )
        found += [
            Entry("survey", s.answered_at, s)
            for s in _before(answers, "answered_at", before)[:limit]
            if s.answered_at is not None
        ]
    if "article" in kinds:
        reads = (
            ArticleRead.objects.filter(contact=contact)
            .select_related("article")
            .order_by("-read_at", "-id")
        )
        rows = list(_before(reads, "read_at", before)[:limit])
        titles = {
            (t.article_id, t.locale): t.title
            for t in ArticleTranslation.objects.filter(
                article_id__in={r.article_id for r in rows}
            ).only("article_id", "locale", "title")
        }
        for r in rows:
            r.title = titles.get((r.article_id, r.locale)) or next(
                (title for (aid, _l), title in titles.items() if aid == r.article_id), ""
            )
            found.append(Entry("article", r.read_at, r))
    found.sort(key=lambda e: e.at, reverse=True)
    page = found[:limit]
    more = len(found) > limit
    return page, (page[-1].at if more and page else None)


def parse_kinds(values: list[str]) -> set[str]:
    chosen = {v for v in values if v in KINDS}
    return chosen or set(KINDS)


def parse_before(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None
