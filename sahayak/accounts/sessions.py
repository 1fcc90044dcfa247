"""Where an agent is signed in: listed on the profile, each one can be signed out."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.sessions.models import Session
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from sahayak.clientip import client_address

from .models import AgentSession, User
from .services import record_audit

TOUCH_EVERY = timedelta(minutes=5)
SEEN_KEY = "_sahayak_seen"


def started(request: HttpRequest, user: User, method: str) -> None:
    """Record a new sign-in (after Django cycled the session key)."""
    key = request.session.session_key
    if not key:
        request.session.save()
        key = request.session.session_key
    assert key is not None
    AgentSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "ip": client_address(request) or None,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
            "method": method,
        },
    )
    request.session[SEEN_KEY] = timezone.now().timestamp()
    record_audit(
        actor=user,
        action="signin.succeeded",
        obj=user,
        data={"ip": client_address(request), "method": method},
    )


def touch(request: HttpRequest) -> None:
    """Note that this session is in use (at most every few minutes: no write per request)."""
    seen = request.session.get(SEEN_KEY, 0)
    now = timezone.now()
    if now.timestamp() - float(seen) < TOUCH_EVERY.total_seconds():
        return
    request.session[SEEN_KEY] = now.timestamp()
    key = request.session.session_key
    if key:
        AgentSession.objects.filter(session_key=key).update(
            last_seen_at=now, ip=client_address(request) or None
        )


def active(user: User) -> QuerySet[AgentSession]:
    """The user's sessions that still sign them in (expired ones are left out)."""
    live = Session.objects.filter(expire_date__gt=timezone.now()).values("session_key")
    return AgentSession.objects.filter(user=user, session_key__in=live).order_by("-last_seen_at")


def end(user: User, session_ids: list[int] | None, *, keep: str | None, actor: User) -> int:
    """Sign out the given sessions (all but ``keep`` when None); returns how many."""
    rows = AgentSession.objects.filter(user=user)
    if session_ids is not None:
        rows = rows.filter(pk__in=session_ids)
    if keep:
        rows = rows.exclude(session_key=keep)
    keys = list(rows.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    AgentSession.objects.filter(session_key__in=keys).delete()
    if keys:
        record_audit(
            actor=actor,
            action="session.signed_out" if session_ids else "session.signed_out_everywhere",
            obj=user,
            data={"count": len(keys)},
        )
    return len(keys)


def forget(session_key: str | None) -> None:
    """A sign-out: the session's row goes with it."""
    if session_key:
        AgentSession.objects.filter(session_key=session_key).delete()
