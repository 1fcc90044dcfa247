"""The live view for team leads: what is open and waiting now, and who is online with
how much work. Read from the conversations themselves (indexed), not from the facts."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.utils import timezone

from sahayak.accounts.models import User
from sahayak.conversations.models import Conversation, Status
from sahayak.routing.models import Presence

from .periods import local_midnight

OPEN = (Status.NEW, Status.OPEN)


def today(teams: tuple[int, ...], zone: str) -> dict[str, Any]:
    now = timezone.now()
    midnight = local_midnight(now.astimezone(ZoneInfo(zone)).date(), ZoneInfo(zone))
    conversations = Conversation.objects.filter(merged_into__isnull=True)
    if teams:
        conversations = conversations.filter(team_id__in=teams)
    figures = conversations.aggregate(
        open=Count("id", filter=Q(status__in=OPEN)),
        waiting=Count("id", filter=Q(waiting_since__isnull=False, status__in=OPEN)),
        unassigned=Count("id", filter=Q(status__in=OPEN, assignee__isnull=True)),
        opened_today=Count("id", filter=Q(created_at__gte=midnight)),
        solved_today=Count("id", filter=Q(solved_at__gte=midnight)),
    )
    longest = (
        conversations.filter(waiting_since__isnull=False, status__in=OPEN)
        .order_by("waiting_since", "id")
        .select_related("contact")
        .first()
    )
    agents = User.objects.filter(
        is_active=True, routing__presence__in=(Presence.ONLINE, Presence.AWAY)
    )
    if teams:
        agents = agents.filter(teams__in=teams).distinct()
    agents = (
        agents.annotate(
            load=Count(
                "assigned_conversations",
                filter=Q(assigned_conversations__status__in=OPEN),
            ),
            waiting=Count(
                "assigned_conversations",
                filter=Q(
                    assigned_conversations__status__in=OPEN,
                    assigned_conversations__waiting_since__isnull=False,
                ),
            ),
        )
        .select_related("routing")
        .order_by("-load", "username")[:200]
    )
    return {
        **figures,
        "longest": longest,
        "longest_since": longest.waiting_since if longest else None,
        "agents": [
            {"user": a, "presence": a.routing.presence, "load": a.load, "waiting": a.waiting}
            for a in agents
        ],
        "as_of": now,
        "midnight": midnight,
    }
