"""Deflection: questions answered by an article instead of a ticket.

The web form (or widget) gives each visit a random session token. Opening a suggested
article records a ``suggested_view`` for (session, article); leaving the article without
sending the form turns it into ``deflected``; sending the form with that token afterwards
turns every row of the session into ``submitted``, so a deflection is only counted while
the customer really did not write to us.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count

from .models import Article, SelfService, SelfServiceEvent

_SESSION = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def valid_session(session: str) -> bool:
    return bool(_SESSION.match(session or ""))


def suggested_view(
    *, session: str, article: Article, locale: str, channel: str, query: str = ""
) -> None:
    if not valid_session(session):
        return
    with transaction.atomic():
        if SelfServiceEvent.objects.filter(session=session, kind=SelfService.SUBMITTED).exists():
            return
        SelfServiceEvent.objects.get_or_create(
            session=session,
            article=article,
            defaults={
                "kind": SelfService.SUGGESTED_VIEW,
                "locale": locale,
                "channel": channel[:32],
                "query": query[:300],
            },
        )


def left_article(*, session: str, article_id: int) -> bool:
    """The reader left a suggested article without sending the form: a deflection."""
    if not valid_session(session):
        return False
    updated = SelfServiceEvent.objects.filter(
        session=session, article_id=article_id, kind=SelfService.SUGGESTED_VIEW
    ).update(kind=SelfService.DEFLECTED)
    return bool(updated)


def submitted(*, session: str, conversation_id: int | None = None) -> None:
    """The form was sent after all: nothing of this session counts as deflected."""
    if not valid_session(session):
        return
    SelfServiceEvent.objects.filter(session=session).exclude(kind=SelfService.SUBMITTED).update(
        kind=SelfService.SUBMITTED, conversation_id=conversation_id
    )


@dataclass(frozen=True)
class Summary:
    """Self-service over a period, for the knowledge base page and analytics."""

    articles_read: int  # suggested articles opened (whatever happened next)
    deflected: int  # sessions answered by an article, no ticket
    submitted: int  # sessions that wrote to us after reading
    bot_answered: int
    bot_resolved: int
    bot_handover: int

    @property
    def deflection_rate(self) -> float | None:
        decided = self.deflected + self.submitted
        return self.deflected / decided if decided else None

    @property
    def bot_resolution_rate(self) -> float | None:
        decided = self.bot_resolved + self.bot_handover
        return self.bot_resolved / decided if decided else None


def summary(since: datetime) -> Summary:
    events = SelfServiceEvent.objects.filter(created_at__gte=since)
    counts = dict(events.values_list("kind").annotate(n=Count("id")).order_by())
    sessions = dict(
        events.exclude(session="")
        .values_list("kind")
        .annotate(n=Count("session", distinct=True))
        .order_by()
    )
    return Summary(
        articles_read=sum(
            counts.get(k, 0)
            for k in (SelfService.SUGGESTED_VIEW, SelfService.DEFLECTED, SelfService.SUBMITTED)
        ),
        deflected=sessions.get(SelfService.DEFLECTED, 0),
        submitted=sessions.get(SelfService.SUBMITTED, 0),
        bot_answered=counts.get(SelfService.BOT_ANSWERED, 0),
        bot_resolved=counts.get(SelfService.BOT_RESOLVED, 0),
        bot_handover=counts.get(SelfService.BOT_HANDOVER, 0),
    )
