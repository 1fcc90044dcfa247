"""Presence: online, away or offline, from the agent's choice and the workspace heartbeat.

An agent is online while their workspace is open (its heartbeat stamps ``last_seen_at``)
and they have not set themselves away. ``refresh()`` (a periodic job) writes what routing
sees and when it changed; ``return_absent_work()`` gives the conversations of agents absent
longer than their policy allows to the named backup, or back to the queue.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from sahayak.accounts.models import User
from sahayak.conversations import services
from sahayak.conversations.models import Conversation

from . import assignment
from .models import AgentRouting, Presence, RoutingPolicy


def routing_of(user: User) -> AgentRouting:
    routing, _ = AgentRouting.objects.get_or_create(user=user)
    return routing


def presence_of(away: bool, last_seen_at: datetime | None, now: datetime) -> str:
    window = timedelta(seconds=settings.SAHAYAK_CHAT_ONLINE_SECONDS)
    if last_seen_at is None or now - last_seen_at >= window:
        return Presence.OFFLINE
    return Presence.AWAY if away else Presence.ONLINE


def refresh(now: datetime | None = None) -> dict[str, list[int]]:
    """Bring every active agent's presence up to date; which agents changed to what."""
    now = now or timezone.now()
    users = User.objects.filter(is_active=True).values_list("pk", "last_seen_at")
    seen = dict(users)
    known = set(AgentRouting.objects.values_list("user_id", flat=True))
    missing = [AgentRouting(user_id=pk, presence_since=now) for pk in seen if pk not in known]
    AgentRouting.objects.bulk_create(missing, batch_size=500, ignore_conflicts=True)
    rows = {r.user_id: r for r in AgentRouting.objects.filter(user_id__in=list(seen))}
    changed: dict[str, list[int]] = {p: [] for p in Presence.values}
    updated = []
    for user_id, row in rows.items():
        presence = presence_of(row.away, seen[user_id], now)
        if presence != row.presence:
            row.presence, row.presence_since = presence, now
            updated.append(row)
            changed[presence].append(user_id)
    AgentRouting.objects.bulk_update(updated, ["presence", "presence_since"], batch_size=500)
    if changed[Presence.ONLINE]:
        transaction.on_commit(assignment.hand_out)
    return changed


def set_away(user: User, away: bool) -> AgentRouting:
    """The agent's own choice: away (no new work) or available."""
    routing = routing_of(user)
    now = timezone.now()
    presence = presence_of(away, user.last_seen_at, now)
    fields = ["away"]
    routing.away = away
    if presence != routing.presence:
        routing.presence, routing.presence_since = presence, now
        fields += ["presence", "presence_since"]
    routing.save(update_fields=fields)
    if presence == Presence.ONLINE:
        transaction.on_commit(assignment.hand_out)
    return routing


def return_absent_work(now: datetime | None = None) -> int:
    """Conversations of agents absent too long go to their backup, or back to the queue."""
    now = now or timezone.now()
    by_inbox, by_team, manual = assignment.automatic_policies()
    if not by_inbox and not by_team:
        return 0
    absent = {
        r.user_id: r
        for r in AgentRouting.objects.exclude(presence=Presence.ONLINE).select_related("backup")
    }
    if not absent:
        return 0
    online = set(
        AgentRouting.objects.filter(presence=Presence.ONLINE).values_list("user_id", flat=True)
    )
    moved = 0
    claimed = manual | set(by_inbox)
    groups: list[tuple[list[int], list[int], set[int], RoutingPolicy]]
    groups = [([i], [], set(), p) for i, p in by_inbox.items()]
    groups += [([], [t], claimed, p) for t, p in by_team.items()]
    for inbox_ids, team_ids, excluded, policy in groups:
        cutoff = now - timedelta(minutes=policy.return_after_minutes)
        long_gone = [uid for uid, r in absent.items() if r.presence_since <= cutoff]
        if not long_gone:
            continue
        held = (
            Conversation.objects.filter(
                assignee_id__in=long_gone,
                status__in=assignment.QUEUED_STATUSES,
                merged_into__isnull=True,
            ).filter(inbox_id__in=inbox_ids)
            if inbox_ids
            else Conversation.objects.filter(
                assignee_id__in=long_gone,
                status__in=assignment.QUEUED_STATUSES,
                merged_into__isnull=True,
                team_id__in=team_ids,
            ).exclude(inbox_id__in=excluded)
        )
        for conversation in held.select_related("assignee")[: assignment.MAX_PER_TURN]:
            routing = absent[conversation.assignee_id or 0]
            moved += _give_back(conversation, routing, online, policy.policy)
    if moved:
        transaction.on_commit(assignment.hand_out)
    return moved


@transaction.atomic
def _give_back(
    conversation: Conversation, routing: AgentRouting, online: set[int], policy: str
) -> int:
    backup = routing.backup
    reason = {"policy": policy, "considered": [], "absent": routing.user_id}
    if backup is not None and backup.is_active and backup.pk in online:
        services.assign(
            conversation=conversation,
            assignee=backup,
            actor=None,
            routing={**reason, "reason": "backup"},
        )
    else:
        services.assign(
            conversation=conversation,
            assignee=None,
            actor=None,
            routing={**reason, "reason": "returned"},
        )
    return 1


def unassign_if_absent(conversation: Conversation) -> bool:
    """A reopened conversation is not left with an assignee who is not online."""
    conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
    if conversation.assignee_id is None:
        return False
    policy = assignment.policy_of(conversation)
    if policy is None or not policy.automatic:
        return False
    routing = AgentRouting.objects.filter(user_id=conversation.assignee_id).first()
    if routing is not None and routing.presence == Presence.ONLINE:
        return False
    services.assign(
        conversation=conversation,
        assignee=None,
        actor=None,
        routing={
            "policy": policy.policy,
            "considered": [],
            "absent": conversation.assignee_id,
            "reason": "reopened_absent",
        },
    )
    return True
