"""Automatic assignment: the queue of unassigned conversations, handed out as capacity frees.

A conversation is *queued* when it is new or open, unassigned, and its inbox (or, failing
an inbox policy, its team) hands work out automatically. ``hand_out()`` walks the queue in
the policy's order and gives each conversation to an eligible online agent with free
capacity for its channel kind; what it cannot place waits for the next turn (an agent
resolving a conversation, coming online, capacity raised, or the periodic job).

The choice (``decide``) is a pure function of the conversation and the agents' state.
Committing it re-checks the agent's load under a row lock on the agent's routing row, so
concurrent dispatchers (many arrivals at once, several processes) never push an agent
over capacity.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from sahayak.accounts.models import User
from sahayak.conversations import services
from sahayak.conversations.models import Conversation, Priority, Status

from . import config
from .models import AgentRouting, Policy, Presence, QueueOrder, RoutingPolicy

logger = logging.getLogger(__name__)

# Statuses a conversation waits in the queue with, and that count against capacity.
QUEUED_STATUSES = (Status.NEW, Status.OPEN)
LOAD_STATUSES = (Status.NEW, Status.OPEN)
ANY_KIND = "*"
MAX_PER_TURN = 5000
_PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


# --- the decision (pure) ---------------------------------------------------------------


@dataclass
class Agent:
    user_id: int
    capacity: Mapping[str, int]
    load: dict[str, int] = field(default_factory=dict)
    skills: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    teams: frozenset[int] = frozenset()
    last_assigned_at: datetime | None = None

    def limit(self, kind: str) -> int:
        default = settings.SAHAYAK_ROUTING_DEFAULT_CAPACITY
        return int(self.capacity.get(kind, self.capacity.get(ANY_KIND, default)))

    def free(self, kind: str) -> int:
        return self.limit(kind) - self.load.get(kind, 0)

    def total_load(self) -> int:
        return sum(self.load.values())


@dataclass(frozen=True)
class Work:
    conversation_id: int
    channel: str
    team_id: int | None
    language: str = ""
    skills: frozenset[str] = frozenset()
    waited: timedelta = timedelta(0)


@dataclass(frozen=True)
class Decision:
    user_id: int | None
    # Why: "chosen" / "language" / "language_fallback" / "skills_fallback" on assignment;
    # "no_agent" / "full" / "waiting_for_language" when the conversation stays queued.
    reason: str
    considered: tuple[int, ...] = ()

    def record(self, policy: str) -> dict[str, Any]:
        return {
            "policy": policy,
            "reason": self.reason,
            "considered": list(self.considered),
        }


def _speaks(agent: Agent, language: str) -> bool:
    base = language.split("-")[0]
    return language in agent.languages or base in agent.languages


def decide(
    work: Work,
    agents: Iterable[Agent],
    *,
    policy: str,
    language_wait: timedelta,
    team_languages: frozenset[str] = frozenset(),
) -> Decision:
    """Who takes ``work`` now, if anyone: a pure function of the agents' state.

    Eligible agents are online members of the conversation's team (everyone when it has
    none) with free capacity for its channel kind. Agents with the required skills and the
    conversation's language are preferred; when none of them is free the conversation waits
    ``language_wait`` (only if someone in the team speaks it at all), then goes to anyone.
    """
    team = [a for a in agents if work.team_id is None or work.team_id in a.teams]
    considered = tuple(a.user_id for a in team)
    if not team:
        return Decision(None, "no_agent", considered)
    free = [a for a in team if a.free(work.channel) > 0]
    if not free:
        return Decision(None, "full", considered)
    reason = "chosen"
    skilled = [a for a in free if work.skills <= a.skills]
    if skilled:
        pool = skilled
    else:
        pool, reason = free, "skills_fallback"
    if work.language:
        speakers = [a for a in pool if _speaks(a, work.language)]
        speaks_at_all = work.language in team_languages or work.language.split("-")[0] in (
            team_languages
        )
        if speakers:
            pool = speakers
            reason = "language" if reason == "chosen" else reason
        elif speaks_at_all and work.waited < language_wait:
            return Decision(None, "waiting_for_language", considered)
        elif speaks_at_all:
            reason = "language_fallback"
    chosen = min(pool, key=_ranking(policy, work.channel))
    return Decision(chosen.user_id, reason, considered)


def _ranking(policy: str, kind: str) -> Any:
    never = datetime.min.replace(tzinfo=timezone.get_fixed_timezone(0))

    def round_robin(a: Agent) -> tuple[Any, ...]:
        return (a.last_assigned_at or never, a.user_id)

    def least_loaded(a: Agent) -> tuple[Any, ...]:
        return (a.load.get(kind, 0), a.total_load(), a.last_assigned_at or never, a.user_id)

    return least_loaded if policy == Policy.LEAST_LOADED else round_robin


# --- reading state ------------------------------------------------------------------------


def automatic_policies() -> tuple[dict[int, RoutingPolicy], dict[int, RoutingPolicy], set[int]]:
    """(automatic inbox policies, automatic team policies, inboxes with a manual policy)."""
    by_inbox: dict[int, RoutingPolicy] = {}
    by_team: dict[int, RoutingPolicy] = {}
    manual: set[int] = set()
    for p in config.current().routing_policies:
        if p.inbox_id is not None:
            if p.automatic:
                by_inbox[p.inbox_id] = p
            else:
                manual.add(p.inbox_id)
        elif p.team_id is not None and p.automatic:
            by_team[p.team_id] = p
    return by_inbox, by_team, manual


def policy_of(conversation: Conversation) -> RoutingPolicy | None:
    """The policy that governs a conversation: its inbox's, else its team's."""
    snapshot = config.current()
    by_inbox = snapshot.policy_of_inbox(conversation.inbox_id)
    if by_inbox is not None:
        return by_inbox
    if conversation.team_id is None:
        return None
    return snapshot.policy_of_team(conversation.team_id)


@dataclass
class Pool:
    """Who can take work now, and what the whole team can do (online or not)."""

    agents: list[Agent]
    # Languages spoken in each team (None: by anyone): a conversation waits for one only
    # if someone could come to answer it.
    spoken: dict[int | None, frozenset[str]]
    # Skills some agent has: a conversation tagged with one of them needs it.
    skills: frozenset[str]

    def languages_of(self, team_id: int | None) -> frozenset[str]:
        return self.spoken.get(team_id, frozenset()) if team_id else self.spoken[None]


def agent_pool() -> Pool:
    """Every active agent's routing, teams and, for the online ones, load: three queries."""
    rows = list(
        AgentRouting.objects.filter(user__is_active=True).values(
            "user_id", "presence", "capacity", "skills", "languages", "last_assigned_at"
        )
    )
    teams: dict[int, set[int]] = {}
    for user_id, team_id in User.teams.through.objects.filter(
        user_id__in=[r["user_id"] for r in rows]
    ).values_list("user_id", "team_id"):
        teams.setdefault(user_id, set()).add(team_id)
    spoken: dict[int | None, set[str]] = {None: set()}
    skills: set[str] = set()
    for r in rows:
        r["skills"] = frozenset(s.casefold() for s in r["skills"] or [])
        skills |= r["skills"]
        for team_id in [None, *teams.get(r["user_id"], ())]:
            spoken.setdefault(team_id, set()).update(r["languages"] or [])
    online = [r for r in rows if r["presence"] == Presence.ONLINE]
    loads = loads_of([r["user_id"] for r in online])
    agents = [
        Agent(
            user_id=r["user_id"],
            capacity=r["capacity"] or {},
            load=loads.get(r["user_id"], {}),
            skills=r["skills"],
            languages=frozenset(r["languages"] or []),
            teams=frozenset(teams.get(r["user_id"], ())),
            last_assigned_at=r["last_assigned_at"],
        )
        for r in online
    ]
    return Pool(
        agents=agents,
        spoken={team: frozenset(langs) for team, langs in spoken.items()},
        skills=frozenset(skills),
    )


def online_agents() -> list[Agent]:
    return agent_pool().agents


def loads_of(user_ids: list[int]) -> dict[int, dict[str, int]]:
    """Open conversations per agent per channel kind, in one query."""
    loads: dict[int, dict[str, int]] = {}
    if not user_ids:
        return loads
    counted = (
        Conversation.objects.filter(assignee_id__in=user_ids, status__in=LOAD_STATUSES)
        .values("assignee_id", "channel")
        .annotate(n=Count("id"))
    )
    for row in counted:
        loads.setdefault(row["assignee_id"], {})[row["channel"]] = row["n"]
    return loads


def queued(
    *, inbox_ids: Iterable[int], team_ids: Iterable[int], manual_inboxes: Iterable[int]
) -> Any:
    """The queue of conversations under the given automatic policies."""
    return Conversation.objects.filter(
        Q(inbox_id__in=list(inbox_ids))
        | (Q(team_id__in=list(team_ids)) & ~Q(inbox_id__in=list(manual_inboxes))),
        assignee__isnull=True,
        status__in=QUEUED_STATUSES,
        merged_into__isnull=True,
        snoozed_until__isnull=True,
    )


# --- handing out --------------------------------------------------------------------------

_busy = threading.local()


def hand_out(now: datetime | None = None) -> int:
    """Give queued conversations to free agents, in each policy's order; how many were given.

    Re-entrant calls (an assignment's own event) return at once.
    """
    if getattr(_busy, "active", False):
        return 0
    _busy.active = True
    try:
        return _hand_out(now or timezone.now())
    finally:
        _busy.active = False


def _hand_out(now: datetime) -> int:
    by_inbox, by_team, manual = automatic_policies()
    if not by_inbox and not by_team:
        return 0
    pool = agent_pool()
    agents, skills = pool.agents, pool.skills
    if not agents:
        return 0
    given = 0
    # Team policies never take conversations of an inbox with a policy of its own.
    claimed = manual | set(by_inbox)
    groups = [
        (p, queued(inbox_ids=[i], team_ids=[], manual_inboxes=())) for i, p in by_inbox.items()
    ]
    groups += [
        (p, queued(inbox_ids=[], team_ids=[t], manual_inboxes=claimed)) for t, p in by_team.items()
    ]
    for policy, queue in groups:
        kinds = set(queue.values_list("channel", flat=True).distinct())
        free_kinds = {k for k in kinds if any(a.free(k) > 0 for a in agents)}
        if not free_kinds:
            continue
        rows = _queue_head(queue.filter(channel__in=free_kinds), policy.order)
        tags = services.tags_by_conversation([r["id"] for r in rows]) if skills else {}
        for row in rows:
            if row["channel"] not in free_kinds:
                continue
            work = Work(
                conversation_id=row["id"],
                channel=row["channel"],
                team_id=row["team_id"],
                language=row["language"] or "",
                skills=frozenset(policy.skills) | (frozenset(tags.get(row["id"], ())) & skills),
                waited=now - row["queued_since"],
            )
            if _place(work, agents, policy, pool.languages_of(work.team_id), now):
                given += 1
                if not any(a.free(work.channel) > 0 for a in agents):
                    free_kinds.discard(work.channel)
                    if not free_kinds:
                        break
    return given


def _queue_head(queue: Any, order: str) -> list[dict[str, Any]]:
    """The first MAX_PER_TURN queued conversations in the policy's order."""
    qs = queue.annotate(queued_since=Coalesce("waiting_since", "created_at")).values(
        "id", "channel", "team_id", "language", "queued_since"
    )
    keys: list[Any] = ["queued_since", "id"]
    if order == QueueOrder.PRIORITY:
        rank = Case(
            *[When(priority=p, then=Value(r)) for p, r in _PRIORITY_RANK.items()],
            default=Value(2),
            output_field=IntegerField(),
        )
        qs = qs.annotate(rank=rank)
        keys.insert(0, "rank")
    return list(qs.order_by(*keys)[:MAX_PER_TURN])


def _place(
    work: Work,
    agents: list[Agent],
    policy: RoutingPolicy,
    team_langs: frozenset[str],
    now: datetime,
) -> bool:
    """Decide and commit; an agent found full under the lock is set aside and we decide again."""
    wait = timedelta(seconds=policy.language_wait_seconds)
    pool = list(agents)
    while pool:
        decision = decide(
            work, pool, policy=policy.policy, language_wait=wait, team_languages=team_langs
        )
        if decision.user_id is None:
            return False
        agent = next(a for a in pool if a.user_id == decision.user_id)
        outcome = commit(work.conversation_id, agent, decision, policy.policy, now)
        if outcome == "assigned":
            agent.load[work.channel] = agent.load.get(work.channel, 0) + 1
            agent.last_assigned_at = now
            return True
        if outcome == "gone":
            return False
        pool.remove(agent)  # full (or away) after all: try the next one
    return False


def commit(
    conversation_id: int, agent: Agent, decision: Decision, policy: str, now: datetime
) -> str:
    """Assign under row locks: "assigned", "gone" (no longer queued) or "refused" (agent full)."""
    try:
        with transaction.atomic():
            # Another dispatcher holding this conversation is placing it: leave it to them.
            conversation = (
                Conversation.objects.select_for_update(skip_locked=True)
                .filter(
                    pk=conversation_id,
                    assignee__isnull=True,
                    status__in=QUEUED_STATUSES,
                    merged_into__isnull=True,
                )
                .first()
            )
            if conversation is None:
                return "gone"
            routing = (
                AgentRouting.objects.select_for_update()
                .select_related("user")
                .filter(user_id=agent.user_id, presence=Presence.ONLINE, user__is_active=True)
                .first()
            )
            if routing is None:
                return "refused"
            load = Conversation.objects.filter(
                assignee_id=agent.user_id,
                status__in=LOAD_STATUSES,
                channel=conversation.channel,
            ).count()
            agent.load[conversation.channel] = load
            if load >= agent.limit(conversation.channel):
                return "refused"
            # An update, not save(): a saved routing row means "capacity may have changed".
            AgentRouting.objects.filter(pk=routing.pk).update(last_assigned_at=now)
            services.assign(
                conversation=conversation,
                assignee=routing.user,
                actor=None,
                routing=decision.record(policy),
            )
    except DatabaseError:
        logger.warning("assignment of #%s to %s deferred", conversation_id, agent.user_id)
        return "refused"
    return "assigned"
