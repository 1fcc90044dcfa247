"""Routing and SLAs against the loaded data (``bench/generate.py``):

    python bench/sla.py [--processes 2] [--runs 200] [--all-open]

1. Deadlines of every open conversation computed from the event logs (what a policy edit
   queues), then recomputed after a calendar edit (business hours with holidays: the kept
   clocks measured again), in batches, by one process and by ``--processes`` processes
   side by side; conversations per second.
2. The inbox sorted by next SLA deadline, and the "breaching soon" view: p50/p95.
3. Assignment with 200 online agents: the decision alone (pure), and a whole hand-out of
   one queued conversation (read agents and loads, decide, lock, assign): p50/p99.

``--all-open`` first makes every conversation open, to measure a million open ones.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import time
from datetime import timedelta

import _setup  # noqa: F401
from _timing import measure
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from sahayak.accounts.models import Role, Team, User
from sahayak.conversations.models import OPEN_STATUSES, Conversation, Inbox
from sahayak.routing import assignment, deadlines
from sahayak.routing.models import (
    AgentRouting,
    Calendar,
    ConversationSla,
    Holiday,
    Policy,
    Presence,
    RoutingPolicy,
    SlaPolicy,
)

AGENTS = 200


def setup_policies() -> Calendar:
    calendar, _ = Calendar.objects.get_or_create(
        name="Bench Paris",
        defaults={
            "time_zone": "Europe/Paris",
            "weekly": {str(d): [["09:00", "17:00"]] for d in range(5)},
        },
    )
    for month, day in [(1, 1), (5, 1), (7, 14), (12, 25)]:
        Holiday.objects.get_or_create(
            calendar=calendar, day=f"2000-{month:02d}-{day:02d}", yearly=True
        )
    SlaPolicy.objects.get_or_create(
        name="Bench standard",
        defaults={
            "first_response_minutes": 240,
            "next_response_minutes": 120,
            "resolution_minutes": 24 * 60,
            "business_hours": True,
            "calendar": calendar,
        },
    )
    return calendar


def _recompute_range(job: tuple[int, int, bool]) -> int:
    """What the background task does over conversations ``low < id <= high``."""
    low, high, full = job
    connections.close_all()
    return deadlines.recompute_pass(low, high, full)[0]


def recompute_all(processes: int, full: bool, quiet: bool = False) -> None:
    top = Conversation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    opened = Conversation.objects.filter(status__in=OPEN_STATUSES).count()
    step = top // processes + 1
    jobs = [(i * step, (i + 1) * step, full) for i in range(processes)]
    started = time.perf_counter()
    if processes == 1:
        done = _recompute_range((0, top, full))
    else:
        connections.close_all()
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            done = sum(pool.map(_recompute_range, jobs))
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    deadlines.reclaim()  # what the task does after its last chunk
    tidy = time.perf_counter() - started
    if quiet:
        return
    print(
        f"  {processes} process(es): {done:,} of {opened:,} open conversations in {elapsed:.1f} s"
        f" = {done / elapsed:,.0f} conversations/s (then the table's old rows reclaimed"
        f" in {tidy:.1f} s)"
    )


def inbox_by_deadline(runs: int) -> None:
    admin, _ = User.objects.get_or_create(
        username="bench-admin",
        defaults={"email": "bench-admin@support.example", "role": Role.ADMIN},
    )
    client = Client()
    client.force_login(admin)
    with_due = ConversationSla.objects.filter(next_due__isnull=False).count()
    print(f"Inbox by next deadline ({with_due:,} conversations with a deadline; full request):")
    for label, query in [
        ("all open, next deadline first", "?view=all&sort=deadline&partial=list"),
        ("breaching soon", "?view=breaching&partial=list"),
        ("unassigned, next deadline first", "?view=unassigned&sort=deadline&partial=list"),
    ]:
        measure(label, lambda q=query: client.get("/" + q, HTTP_HX_REQUEST="true"), runs)


def _p(samples: list[float], q: float) -> float:
    samples = sorted(samples)
    return samples[max(0, int(len(samples) * q) - 1)]


def assignment_decisions(runs: int) -> None:
    rng = random.Random(7)
    team = Team.objects.get_or_create(name="Bench routing")[0]
    users = []
    for n in range(AGENTS):
        user, _ = User.objects.get_or_create(
            username=f"router{n}", defaults={"email": f"router{n}@support.example"}
        )
        users.append(user)
    team.members.add(*users)
    languages = ["en", "fr", "hi", "bn", "el"]
    for user in users:
        AgentRouting.objects.update_or_create(
            user=user,
            defaults={
                "presence": Presence.ONLINE,
                "capacity": {"*": 1_000_000},
                "languages": rng.sample(languages, 2),
                "skills": rng.sample(["billing", "shipping", "returns", "tech"], 1),
            },
        )
    agents = assignment.online_agents()
    work = [
        assignment.Work(
            conversation_id=i,
            channel=rng.choice(["email", "chat", "sms"]),
            team_id=team.pk,
            language=rng.choice(languages),
            skills=frozenset(rng.sample(["billing", "shipping"], 1)),
        )
        for i in range(runs)
    ]
    samples = []
    for w in work:
        started = time.perf_counter()
        assignment.decide(w, agents, policy=Policy.LEAST_LOADED, language_wait=timedelta(minutes=2))
        samples.append((time.perf_counter() - started) * 1000)
    print(f"Assignment with {len(agents)} online agents:")
    print(
        f"  {'decision (pure)':<52} p50 {statistics.median(samples):7.3f} ms"
        f"   p99 {_p(samples, 0.99):7.3f} ms"
    )
    inbox = Inbox.objects.get_or_create(name="Bench routing", channel="email")[0]
    inbox.team = team
    inbox.save()
    RoutingPolicy.objects.update_or_create(inbox=inbox, defaults={"policy": Policy.LEAST_LOADED})
    contact_id = Conversation.objects.values_list("contact_id", flat=True).first()
    samples = []
    for _ in range(runs):
        conversation = Conversation.objects.create(
            subject="Queued",
            channel="email",
            inbox=inbox,
            team=team,
            contact_id=contact_id,
            waiting_since=timezone.now(),
        )
        started = time.perf_counter()
        given = assignment.hand_out()
        samples.append((time.perf_counter() - started) * 1000)
        assert given == 1, given
        assert Conversation.objects.get(pk=conversation.pk).assignee_id is not None
    print(
        f"  {'hand-out of one queued conversation (database)':<52} p50 "
        f"{statistics.median(samples):7.2f} ms   p99 {_p(samples, 0.99):7.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--all-open", action="store_true")
    args = parser.parse_args()
    if args.all_open:
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE conversations_conversation SET status = 'open' WHERE status <> 'open'"
            )
    total = Conversation.objects.count()
    print(f"Conversations: {total:,} ({connection.vendor})")
    calendar = setup_policies()
    print("Deadline computation from the event logs (a policy edit; every open conversation):")
    recompute_all(1, full=True)
    print("Deadline recomputation after a calendar edit (every open conversation's clocks):")
    for hours in (["08:00", "18:00"], ["09:00", "17:00"]):
        # The edit; the background task it queues does what recompute_all measures.
        calendar.weekly = {str(d): [hours] for d in range(5)}
        calendar.save()
        recompute_all(1 if hours[0] == "08:00" else args.processes, full=False)
    inbox_by_deadline(args.runs)
    assignment_decisions(args.runs)


if __name__ == "__main__":
    main()
