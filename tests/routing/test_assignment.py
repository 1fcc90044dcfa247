"""Automatic assignment: capacity, the queue, skills and language, presence, concurrency."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from sahayak.conversations.events import EventKind
from sahayak.conversations.models import Conversation, Event, Status
from sahayak.conversations.pipeline import receive
from sahayak.conversations.services import set_status, set_tags
from sahayak.routing import assignment, presence
from sahayak.routing.assignment import Agent, Work, decide
from sahayak.routing.models import AgentRouting, Policy, Presence, QueueOrder, RoutingPolicy
from tests.conftest import inbound
from tests.factories import InboxFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def _change_policy(inbox: Any, **fields: Any) -> None:
    """An edit as the settings page makes it (saved, so every process reads it anew)."""
    policy = RoutingPolicy.objects.get(inbox=inbox)
    for name, value in fields.items():
        setattr(policy, name, value)
    policy.save()


def online_agent(team: Any, capacity: int = 2, **routing: Any) -> Any:
    user = UserFactory(last_seen_at=timezone.now())
    team.members.add(user)
    AgentRouting.objects.update_or_create(
        user=user,
        defaults={"presence": Presence.ONLINE, "capacity": {"*": capacity}, **routing},
    )
    return user


@pytest.fixture
def team() -> Any:
    return TeamFactory(name="Support")


@pytest.fixture
def inbox(team: Any) -> Any:
    box = InboxFactory(channel="api", team=team)
    RoutingPolicy.objects.create(inbox=box, policy=Policy.ROUND_ROBIN)
    return box


def arrive(inbox: Any, n: int, capture: Any, **kw: Any) -> list[Conversation]:
    made = []
    for i in range(n):
        with capture(execute=True):
            result = receive(inbound(inbox, sender_address=f"c{i}-{id(kw)}@mail.example", **kw))
        made.append(result.conversation)
    return made


def load_of(user: Any) -> int:
    return Conversation.objects.filter(assignee=user, status__in=assignment.LOAD_STATUSES).count()


def test_three_agents_of_capacity_two_take_six_of_ten_and_four_wait(
    team, inbox, django_capture_on_commit_callbacks
):
    agents = [online_agent(team) for _ in range(3)]
    made = arrive(inbox, 10, django_capture_on_commit_callbacks)
    assert [load_of(a) for a in agents] == [2, 2, 2]
    queued = Conversation.objects.filter(assignee__isnull=True).order_by("id")
    assert [c.pk for c in queued] == [c.pk for c in made[6:]]
    # The decision is recorded on the assignment event, visible in the activity list.
    event = Event.objects.filter(conversation=made[0], kind=EventKind.ASSIGNEE).get()
    assert event.actor is None
    assert event.data["routing"]["policy"] == "round_robin"
    assert sorted(event.data["routing"]["considered"]) == sorted(a.pk for a in agents)


def test_resolving_one_hands_out_the_oldest_queued(team, inbox, django_capture_on_commit_callbacks):
    agents = [online_agent(team) for _ in range(3)]
    made = arrive(inbox, 10, django_capture_on_commit_callbacks)
    done = Conversation.objects.get(pk=made[0].pk)
    owner = done.assignee
    with django_capture_on_commit_callbacks(execute=True):
        set_status(conversation=done, status=Status.SOLVED, actor=owner)
    assert Conversation.objects.get(pk=made[6].pk).assignee == owner
    assert Conversation.objects.filter(assignee__isnull=True).count() == 3
    assert max(load_of(a) for a in agents) == 2


def test_round_robin_takes_turns_and_least_loaded_fills_the_emptiest(
    team, inbox, django_capture_on_commit_callbacks
):
    a, b = online_agent(team, capacity=5), online_agent(team, capacity=5)
    arrive(inbox, 4, django_capture_on_commit_callbacks)
    assert (load_of(a), load_of(b)) == (2, 2)
    _change_policy(inbox, policy=Policy.LEAST_LOADED)
    Conversation.objects.filter(assignee=a).update(status=Status.SOLVED)  # a is empty now
    arrive(inbox, 2, django_capture_on_commit_callbacks, text="Another question entirely")
    assert (load_of(a), load_of(b)) == (2, 2)


def test_manual_policy_never_assigns(team, inbox, django_capture_on_commit_callbacks):
    online_agent(team)
    _change_policy(inbox, policy=Policy.MANUAL)
    arrive(inbox, 2, django_capture_on_commit_callbacks)
    assert not Conversation.objects.filter(assignee__isnull=False).exists()


def test_a_team_policy_covers_inboxes_without_their_own(team, django_capture_on_commit_callbacks):
    box = InboxFactory(channel="api", team=team)
    RoutingPolicy.objects.create(team=team, policy=Policy.ROUND_ROBIN)
    agent = online_agent(team)
    arrive(box, 1, django_capture_on_commit_callbacks)
    assert load_of(agent) == 1


def test_capacity_is_per_channel_kind(team, inbox, django_capture_on_commit_callbacks):
    agent = online_agent(team, capacity=0)
    AgentRouting.objects.filter(user=agent).update(capacity={"api": 1, "*": 0})
    arrive(inbox, 2, django_capture_on_commit_callbacks)
    assert load_of(agent) == 1
    chat_box = InboxFactory(channel="webform", team=team)
    RoutingPolicy.objects.create(inbox=chat_box, policy=Policy.ROUND_ROBIN)
    arrive(chat_box, 1, django_capture_on_commit_callbacks, channel="webform")
    assert load_of(agent) == 1  # no webform capacity at all


def test_raising_capacity_hands_out_queued_work(team, inbox, django_capture_on_commit_callbacks):
    agent = online_agent(team, capacity=1)
    arrive(inbox, 3, django_capture_on_commit_callbacks)
    assert load_of(agent) == 1
    routing = AgentRouting.objects.get(user=agent)
    routing.capacity = {"*": 3}
    with django_capture_on_commit_callbacks(execute=True):
        routing.save()
    assert load_of(agent) == 3


def test_priority_order_takes_urgent_first(team, inbox, django_capture_on_commit_callbacks):
    _change_policy(inbox, order=QueueOrder.PRIORITY)
    made = arrive(inbox, 3, django_capture_on_commit_callbacks)
    Conversation.objects.filter(pk=made[2].pk).update(priority="urgent")
    agent = online_agent(team, capacity=1)
    assignment.hand_out()
    assert Conversation.objects.get(assignee=agent).pk == made[2].pk


def test_greek_goes_to_a_greek_speaker_then_anyone_after_the_wait(
    team, inbox, django_capture_on_commit_callbacks
):
    greek = online_agent(team, capacity=1, languages=["el"])
    other = online_agent(team, capacity=5, languages=["en"])
    text = "Καλησπέρα, η παραγγελία μου δεν έχει φτάσει ακόμα. Μπορείτε να με βοηθήσετε;"
    first, second = arrive(inbox, 2, django_capture_on_commit_callbacks, text=text)
    assert first.language == "el"
    assert Conversation.objects.get(pk=first.pk).assignee == greek
    assert Conversation.objects.get(pk=second.pk).assignee is None  # waits for a Greek speaker
    later = timezone.now() + timedelta(seconds=121)
    assert assignment.hand_out(now=later) == 1
    assert Conversation.objects.get(pk=second.pk).assignee == other
    why = Event.objects.filter(conversation=second, kind=EventKind.ASSIGNEE).get().data["routing"]
    assert why["reason"] == "language_fallback"


def test_nobody_waits_for_a_language_no_one_in_the_team_speaks(
    team, inbox, django_capture_on_commit_callbacks
):
    agent = online_agent(team, languages=["en"])
    arrive(
        inbox, 1, django_capture_on_commit_callbacks, text="Bonjour, ma commande n'est pas arrivée."
    )
    assert load_of(agent) == 1


def test_a_tag_naming_a_skill_needs_an_agent_with_it(
    team, inbox, django_capture_on_commit_callbacks
):
    _change_policy(inbox, policy=Policy.MANUAL)
    made = arrive(inbox, 1, django_capture_on_commit_callbacks)
    set_tags(conversation=made[0], names=["billing"], actor=None)
    plain = online_agent(team, capacity=5)
    billing = online_agent(team, capacity=5, skills=["Billing"])
    AgentRouting.objects.filter(user=billing).update(last_assigned_at=timezone.now())
    _change_policy(inbox, policy=Policy.ROUND_ROBIN)
    assignment.hand_out()
    assert Conversation.objects.get(pk=made[0].pk).assignee == billing
    assert load_of(plain) == 0


def test_offline_agents_work_returns_to_the_queue_and_goes_to_someone_online(
    team, inbox, django_capture_on_commit_callbacks
):
    leaver = online_agent(team, capacity=2)
    made = arrive(inbox, 2, django_capture_on_commit_callbacks)
    assert load_of(leaver) == 2
    stayer = online_agent(team, capacity=5)
    long_ago = timezone.now() - timedelta(minutes=20)
    AgentRouting.objects.filter(user=leaver).update(
        presence=Presence.OFFLINE, presence_since=long_ago
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert presence.return_absent_work() == 2
    assert load_of(leaver) == 0 and load_of(stayer) == 2
    reasons = Event.objects.filter(conversation=made[0], kind=EventKind.ASSIGNEE).order_by("id")
    assert [e.data["routing"]["reason"] for e in reasons] == ["chosen", "returned", "chosen"]


def test_absent_agents_work_goes_to_their_named_backup(
    team, inbox, django_capture_on_commit_callbacks
):
    backup = online_agent(team, capacity=0)
    leaver = online_agent(team, capacity=2, backup=backup)
    arrive(inbox, 2, django_capture_on_commit_callbacks)
    AgentRouting.objects.filter(user=leaver).update(
        presence=Presence.AWAY, presence_since=timezone.now() - timedelta(minutes=16)
    )
    presence.return_absent_work()
    assert Conversation.objects.filter(assignee=backup).count() == 2


def test_short_absence_keeps_the_work(team, inbox, django_capture_on_commit_callbacks):
    agent = online_agent(team)
    arrive(inbox, 1, django_capture_on_commit_callbacks)
    AgentRouting.objects.filter(user=agent).update(
        presence=Presence.AWAY, presence_since=timezone.now() - timedelta(minutes=5)
    )
    assert presence.return_absent_work() == 0 and load_of(agent) == 1


def test_a_reopened_conversation_is_not_left_with_an_offline_assignee(
    team, inbox, django_capture_on_commit_callbacks
):
    first = online_agent(team)
    made = arrive(inbox, 1, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        set_status(conversation=made[0], status=Status.SOLVED, actor=first)
    AgentRouting.objects.filter(user=first).update(presence=Presence.OFFLINE)
    second = online_agent(team)
    with django_capture_on_commit_callbacks(execute=True):
        set_status(conversation=made[0], status=Status.OPEN, actor=None)  # the customer wrote
    assert Conversation.objects.get(pk=made[0].pk).assignee == second
    why = Event.objects.filter(conversation=made[0], kind=EventKind.ASSIGNEE).order_by("id")
    assert [e.data["routing"]["reason"] for e in why] == ["chosen", "reopened_absent", "chosen"]


def test_presence_follows_the_heartbeat_and_the_agents_choice(team):
    agent = UserFactory(last_seen_at=timezone.now())
    changed = presence.refresh()
    assert agent.pk in changed[Presence.ONLINE]
    presence.set_away(agent, True)
    assert AgentRouting.objects.get(user=agent).presence == Presence.AWAY
    presence.set_away(agent, False)
    later = timezone.now() + timedelta(minutes=5)
    assert agent.pk in presence.refresh(now=later)[Presence.OFFLINE]


# --- the pure decision ---------------------------------------------------------------------


def _agent(uid: int, **kw: Any) -> Agent:
    return Agent(user_id=uid, capacity=kw.pop("capacity", {"*": 2}), **kw)


def test_decide_refuses_full_agents_and_says_why():
    work = Work(conversation_id=1, channel="email", team_id=None)
    full = _agent(1, load={"email": 2})
    assert decide(work, [full], policy=Policy.ROUND_ROBIN, language_wait=timedelta(0)).reason == (
        "full"
    )
    assert decide(work, [], policy=Policy.ROUND_ROBIN, language_wait=timedelta(0)).reason == (
        "no_agent"
    )


def test_decide_keeps_to_the_conversations_team():
    work = Work(conversation_id=1, channel="email", team_id=7)
    outsider, member = _agent(1), _agent(2, teams=frozenset({7}))
    decision = decide(
        work, [outsider, member], policy=Policy.ROUND_ROBIN, language_wait=timedelta(0)
    )
    assert decision.user_id == 2 and decision.considered == (2,)


def test_round_robin_picks_who_waited_longest_for_work():
    now = timezone.now()
    work = Work(conversation_id=1, channel="chat", team_id=None)
    recent = _agent(1, last_assigned_at=now)
    earlier = _agent(2, last_assigned_at=now - timedelta(minutes=1))
    assert (
        decide(
            work, [recent, earlier], policy=Policy.ROUND_ROBIN, language_wait=timedelta(0)
        ).user_id
        == 2
    )


# --- concurrency ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_hundred_concurrent_arrivals_never_exceed_capacity(monkeypatch):
    """On PostgreSQL, 100 conversations arrive at once from 20 threads; each assignment
    is slowed down so that dispatchers overlap between counting a load and committing."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are a PostgreSQL matter; SQLite has one writer")
    team = TeamFactory(name="Rush")
    box = InboxFactory(channel="api", team=team)
    RoutingPolicy.objects.create(inbox=box, policy=Policy.LEAST_LOADED)
    agents = [online_agent(team, capacity=3) for _ in range(5)]
    barrier = threading.Barrier(20)
    errors: list[BaseException] = []
    real_assign = assignment.services.assign

    def slow_assign(**kw: Any) -> None:
        time.sleep(0.05)
        real_assign(**kw)

    monkeypatch.setattr(assignment.services, "assign", slow_assign)

    def arrive_many(worker: int) -> None:
        try:
            barrier.wait(timeout=20)
            for i in range(5):
                receive(inbound(box, sender_address=f"w{worker}-{i}@mail.example"))
                # Like a request, each arrival gives its connection back to the pool
                # (20 of them, one held by this test), so 20 threads share it.
                connection.close()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=arrive_many, args=(w,)) for w in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert Conversation.objects.count() == 100
    loads = [load_of(a) for a in agents]
    assert loads == [3, 3, 3, 3, 3], loads
    assert Conversation.objects.filter(assignee__isnull=True).count() == 85
