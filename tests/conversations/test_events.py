"""Every kind of change records its Event (old -> new) and is announced only after commit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from sahayak.contacts.services import merge_contacts, undo_contact_merge
from sahayak.conversations import services
from sahayak.conversations.delivery import deliver, record_delivery_report
from sahayak.conversations.events import EventKind, conversation_event
from sahayak.conversations.models import Event, Message, Status
from sahayak.conversations.pipeline import receive
from sahayak.routing import deadlines, watch
from sahayak.routing.models import ConversationSla, SlaPolicy
from tests.conftest import inbound
from tests.factories import ContactFactory, TeamFactory

pytestmark = pytest.mark.django_db


@dataclass
class World:
    conversation: Any
    other: Any
    admin: Any
    webhook: Any


@pytest.fixture
def world(api_inbox: Any, admin: Any, webhook_server: Any) -> World:
    api_inbox.config = {"webhook_url": webhook_server[0]}
    api_inbox.save()
    first = receive(inbound(api_inbox, external_id="a")).conversation
    other = receive(
        inbound(api_inbox, external_id="b", sender_address="ravi@mail.example")
    ).conversation
    return World(first, other, admin, webhook_server[1])


def _sent_reply(w: World) -> Message:
    message = services.reply(conversation=w.conversation, author=w.admin, text="On its way.")
    deliver(message.pk)
    message.refresh_from_db()
    return message


def _failed_reply(w: World) -> Message:
    message = services.reply(conversation=w.conversation, author=w.admin, text="On its way.")
    w.webhook.statuses.append(400)
    deliver(message.pk)
    return message


def _contact_merge(w: World) -> Any:
    return merge_contacts(source=w.conversation.contact, target=ContactFactory(), actor=w.admin)


UNTIL = timezone.now() + timedelta(days=1)


def _snoozed(w: World) -> Any:
    services.snooze(conversation=w.conversation, until=UNTIL, actor=w.admin)


def _sla_event(warning: bool) -> Callable[[World], Any]:
    """The SLA watcher announces a deadline drawing near (or missed) for the conversation."""

    def act(w: World) -> Any:
        SlaPolicy.objects.get_or_create(
            name="Events", defaults={"first_response_minutes": 60, "business_hours": False}
        )
        deadlines.recompute([w.conversation.pk])
        due = ConversationSla.objects.get(pk=w.conversation.pk).next_due
        assert due is not None
        return watch.watch(
            now=due - timedelta(minutes=10) if warning else due + timedelta(seconds=1)
        )

    return act


def _rule_ran(w: World) -> Any:
    """An automation rule whose conditions hold runs on the conversation."""
    from sahayak.automation import engine
    from sahayak.automation.conditions import Facts
    from sahayak.automation.models import Rule

    rule = Rule.objects.create(
        name="Tag it", events=["tags"], actions=[{"type": "add_tags", "value": ["x"]}]
    )
    facts = Facts(w.conversation, now=timezone.now())
    return engine.run_rules([rule], facts, trigger="tags", key="test")


def _rated(w: World) -> Any:
    """The customer answers a satisfaction survey about the conversation."""
    from datetime import timedelta

    from sahayak.feedback import surveys
    from sahayak.feedback.models import Survey

    survey = Survey.objects.create(
        kind="csat",
        state="sent",
        contact_id=w.conversation.contact_id,
        conversation=w.conversation,
        due_at=timezone.now(),
        open_until=timezone.now() + timedelta(days=1),
    )
    return surveys.answer(surveys.token_of(survey), 4, "Merci")


# kind -> (action, expected old, expected new, stored as an Event row)
CASES: dict[EventKind, tuple[Callable[[World], Any], Any, Any, bool]] = {
    EventKind.CREATED: (
        lambda w: receive(inbound(w.conversation.inbox, sender_address="new@mail.example")),
        None,
        Status.NEW,
        True,
    ),
    EventKind.MESSAGE_RECEIVED: (
        lambda w: receive(inbound(w.conversation.inbox, external_id="a2")),
        None,
        None,
        False,
    ),
    EventKind.REPLY_QUEUED: (
        lambda w: services.reply(conversation=w.conversation, author=w.admin, text="Soon."),
        None,
        None,
        False,
    ),
    EventKind.NOTE_ADDED: (
        lambda w: services.reply(conversation=w.conversation, author=w.admin, text="@x", note=True),
        None,
        None,
        False,
    ),
    EventKind.REPLY_SENT: (_sent_reply, "sending", "sent", True),
    EventKind.REPLY_FAILED: (_failed_reply, "sending", "failed", True),
    EventKind.REPLY_RETRIED: (
        lambda w: services.retry_reply(message=_failed_reply(w), actor=w.admin),
        "api",
        "api",
        True,
    ),
    EventKind.DELIVERY_STATUS: (
        lambda w: (
            w.webhook.statuses.append(503),
            deliver(services.reply(conversation=w.conversation, author=w.admin, text="x").pk),
        ),
        "sending",
        "retrying",
        False,
    ),
    EventKind.DELIVERY_REPORT: (
        lambda w: record_delivery_report(
            channel="api", external_id=_sent_reply(w).external_id, action="failed", reason="gone"
        ),
        "sent",
        "failed",
        True,
    ),
    EventKind.STATUS: (
        lambda w: services.set_status(
            conversation=w.conversation, status=Status.SOLVED, actor=w.admin
        ),
        Status.NEW,
        Status.SOLVED,
        True,
    ),
    EventKind.PRIORITY: (
        lambda w: services.set_priority(
            conversation=w.conversation, priority="urgent", actor=w.admin
        ),
        "normal",
        "urgent",
        True,
    ),
    EventKind.ASSIGNEE: (
        lambda w: services.assign(conversation=w.conversation, assignee=w.admin, actor=w.admin),
        None,
        "admin",
        True,
    ),
    EventKind.TEAM: (
        lambda w: services.set_team(
            conversation=w.conversation, team=TeamFactory(name="Returns"), actor=w.admin
        ),
        None,
        "team",
        True,
    ),
    EventKind.TAGS: (
        lambda w: services.set_tags(conversation=w.conversation, names=["VIP"], actor=w.admin),
        [],
        ["vip"],
        True,
    ),
    EventKind.CUSTOM_FIELDS: (
        lambda w: services.set_custom_fields(
            conversation=w.conversation, values={"plan": "gold"}, actor=w.admin
        ),
        {},
        {"plan": "gold"},
        True,
    ),
    EventKind.MERGED_INTO: (
        lambda w: services.merge_conversations(
            source=w.conversation, target=w.other, actor=w.admin
        ),
        None,
        "other",
        True,
    ),
    EventKind.MERGED_FROM: (
        lambda w: services.merge_conversations(
            source=w.other, target=w.conversation, actor=w.admin
        ),
        None,
        "other",
        True,
    ),
    EventKind.MERGE_UNDONE: (
        lambda w: services.undo_conversation_merge(
            merge=services.merge_conversations(
                source=w.other, target=w.conversation, actor=w.admin
            ),
            actor=w.admin,
        ),
        "other",
        None,
        True,
    ),
    EventKind.LINKED: (
        lambda w: services.link_conversations(a=w.conversation, b=w.other, actor=w.admin),
        None,
        "other",
        True,
    ),
    EventKind.UNLINKED: (
        lambda w: (
            services.link_conversations(a=w.conversation, b=w.other, actor=w.admin),
            services.unlink_conversations(a=w.conversation, b=w.other, actor=w.admin),
        ),
        "other",
        None,
        True,
    ),
    EventKind.CONTACT_CHANGED: (_contact_merge, "contact", "new contact", True),
    EventKind.SNOOZED: (_snoozed, None, UNTIL.isoformat(), True),
    EventKind.WOKEN: (
        lambda w: (_snoozed(w), services.wake(conversation=w.conversation, actor=w.admin)),
        UNTIL.isoformat(),
        None,
        True,
    ),
    EventKind.SLA_WARNING: (_sla_event(warning=True), None, None, True),
    EventKind.SLA_BREACHED: (_sla_event(warning=False), None, None, True),
    EventKind.RULE_RAN: (_rule_ran, None, None, True),
    EventKind.RATED: (_rated, None, 4, True),
}


def test_every_event_kind_has_a_case() -> None:
    assert set(CASES) == set(EventKind)


@pytest.fixture
def heard() -> Iterator[list[Any]]:
    events: list[Any] = []
    conversation_event.connect(
        lambda event, **_: events.append(event), weak=False, dispatch_uid="test-heard"
    )
    yield events
    conversation_event.disconnect(dispatch_uid="test-heard")


def _resolve(value: Any, w: World) -> Any:
    """Placeholders for ids only known at run time."""
    return (
        {
            "admin": w.admin.pk,
            "other": w.other.pk,
            "contact": w.conversation.contact_id,
        }.get(value, value)
        if isinstance(value, str)
        else value
    )


@pytest.mark.parametrize("kind", list(CASES), ids=str)
def test_the_change_records_and_announces_after_commit_only(
    kind: EventKind, world: World, heard: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    action, old, new, stored = CASES[kind]
    before = Event.objects.filter(kind=kind).count()
    with django_capture_on_commit_callbacks() as callbacks:
        action(world)
        assert not [e for e in heard if e.kind == kind], "announced before the commit"
    for callback in callbacks:
        callback()
    found = [e for e in heard if e.kind == kind]
    assert found, f"{kind} was not announced"
    # Changes to two conversations (merge, link) record one event on each: take ours.
    ours = [e for e in found if e.conversation.pk == world.conversation.pk]
    event = (ours or found)[-1]
    if kind == EventKind.TEAM:
        new = event.conversation.team_id
    if kind == EventKind.CONTACT_CHANGED:
        new = event.new
        assert new != world.conversation.contact_id
    assert (event.old, event.new) == (_resolve(old, world), _resolve(new, world))
    if stored:
        row = Event.objects.filter(kind=kind, conversation=event.conversation).latest("id")
        assert Event.objects.filter(kind=kind).count() > before
        assert (row.data.get("from"), row.data.get("to")) == (event.old, event.new)
    else:
        assert Event.objects.filter(kind=kind).count() == before


def test_a_rolled_back_change_is_neither_recorded_nor_announced(
    world: World, heard: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.set_priority(conversation=world.conversation, priority="high", actor=None)
        raise RuntimeError("abort")
    assert heard == [] and not Event.objects.filter(kind=EventKind.PRIORITY).exists()


def test_undoing_a_contact_merge_records_the_way_back(world: World, heard: list[Any]) -> None:
    merge = _contact_merge(world)
    undo_contact_merge(merge=merge, actor=world.admin)
    rows = Event.objects.filter(
        kind=EventKind.CONTACT_CHANGED, conversation=world.conversation
    ).order_by("id")
    assert [(r.data["from"], r.data["to"]) for r in rows] == [
        (merge.source_id, merge.target_id),
        (merge.target_id, merge.source_id),
    ]


def test_agents_are_unaffected_by_a_listener_that_fails(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    def broken(**_: Any) -> None:
        raise ValueError("listener bug")

    conversation_event.connect(broken, weak=False, dispatch_uid="test-broken")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.set_priority(conversation=world.conversation, priority="low", actor=None)
    finally:
        conversation_event.disconnect(dispatch_uid="test-broken")
    world.conversation.refresh_from_db()
    assert world.conversation.priority == "low"


def test_a_customer_reply_reopening_a_solved_conversation_is_a_status_event(
    world: World, heard: list[Any], django_capture_on_commit_callbacks: Any
) -> None:
    services.set_status(conversation=world.conversation, status=Status.SOLVED, actor=None)
    with django_capture_on_commit_callbacks(execute=True):
        receive(
            inbound(
                world.conversation.inbox,
                external_id="again",
                conversation_id=world.conversation.pk,
            )
        )
    reopened = [e for e in heard if e.kind == EventKind.STATUS and e.new == Status.OPEN]
    assert reopened and reopened[-1].old == Status.SOLVED
    assert reopened[-1].data["reason"] == "customer_reply"
    row = Event.objects.filter(kind=EventKind.STATUS).latest("id")
    assert row.data == {"from": "solved", "to": "open", "reason": "customer_reply"}
