"""Deflection: questions answered by an article instead of a ticket.

The web form (or widget) gives each visit a random session token. Opening a suggested
article records a ``suggested_view`` for (session, article); leaving the article without
sending the form turns it into ``deflected``; sending the form with that token afterwards
turns every row of the session into ``submitted``, so a deflection is only counted while
the customer really did not write to us.
"""

from __future__ import annotations

import re

from django.db import transaction

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


def record(kind: str, **fields: object) -> SelfServiceEvent:
    return SelfServiceEvent.objects.create(kind=kind, **fields)  # type: ignore[arg-type]


def deflections(**filters: object) -> int:
    """Sessions in which at least one suggested article answered the question."""
    return (
        SelfServiceEvent.objects.filter(kind=SelfService.DEFLECTED, **filters)  # type: ignore[arg-type]
        .values("session")
        .distinct()
        .count()
    )
