"""Rule conditions: each field and operator against a real conversation, groups, the trace
of what each condition saw, and patterns that cannot stall the worker."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from sahayak.automation import conditions
from sahayak.automation.conditions import Facts
from sahayak.contacts.models import Order
from sahayak.conversations import services
from sahayak.routing.models import Calendar, RoutingPolicy
from tests.factories import (
    ContactFactory,
    ConversationFactory,
    InboxFactory,
    MessageFactory,
    OrganizationFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def holds(conversation: Any, *items: dict[str, Any], match: str = "all", **facts: Any) -> bool:
    cleaned = conditions.clean({"match": match, "items": list(items)})
    return conditions.evaluate(cleaned, Facts(conversation, now=timezone.now(), **facts), [])


def test_conversation_columns():
    team, agent = TeamFactory(), UserFactory()
    inbox = InboxFactory(channel="email")
    c = ConversationFactory(
        inbox=inbox, channel="email", team=team, assignee=agent, priority="high", language="fr"
    )
    assert holds(c, {"field": "channel", "op": "in", "value": ["email", "chat"]})
    assert not holds(c, {"field": "channel", "op": "not_in", "value": ["email"]})
    assert holds(c, {"field": "inbox", "op": "in", "value": [inbox.pk]})
    assert holds(c, {"field": "team", "op": "in", "value": [str(team.pk)]})  # ids as typed
    assert holds(c, {"field": "assignee", "op": "is_set"})
    assert not holds(c, {"field": "assignee", "op": "is_empty"})
    assert holds(c, {"field": "status", "op": "in", "value": ["new"]})
    assert holds(c, {"field": "priority", "op": "not_in", "value": ["low", "normal"]})
    assert holds(c, {"field": "language", "op": "in", "value": ["fr"]})


def test_tags_any_all_none():
    c = ConversationFactory()
    services.set_tags(conversation=c, names=["vip", "refund"], actor=None)
    assert holds(c, {"field": "tags", "op": "has_any", "value": ["vip", "other"]})
    assert holds(c, {"field": "tags", "op": "has_all", "value": ["vip", "refund"]})
    assert not holds(c, {"field": "tags", "op": "has_all", "value": ["vip", "other"]})
    assert holds(c, {"field": "tags", "op": "has_none", "value": ["spam"]})


def test_customer_fields_organization_and_attributes_in_any_script():
    org = OrganizationFactory()
    contact = ContactFactory(
        name="Δημήτρης Παπαδόπουλος",
        locale="el",
        organization=org,
        custom_attributes={"tier": "Gold"},
    )
    c = ConversationFactory(contact=contact)
    assert holds(c, {"field": "customer.name", "op": "contains", "value": "δημητρης"})
    assert holds(c, {"field": "customer.language", "op": "is", "value": "el"})
    assert holds(c, {"field": "organization", "op": "in", "value": [org.pk]})
    assert holds(c, {"field": "customer.attributes.tier", "op": "is", "value": "gold"})
    assert not holds(c, {"field": "customer.attributes.plan", "op": "is_set"})
    assert holds(c, {"field": "customer.time_zone", "op": "is_empty"})


def test_orders_over_an_amount_within_days():
    contact = ContactFactory()
    c = ConversationFactory(contact=contact)
    Order.objects.create(
        contact=contact,
        external_ref="A-1",
        amount=Decimal("250.00"),
        currency="EUR",
        ordered_at=timezone.now() - timedelta(days=10),
    )
    over = {"field": "orders", "op": "any_over", "value": {"amount": "200", "days": 30}}
    assert holds(c, over)
    assert not holds(c, {**over, "value": {"amount": "300", "days": 30}})
    assert not holds(c, {**over, "value": {"amount": "200", "days": 5}})
    assert holds(c, {**over, "op": "none_over", "value": {"amount": "300", "days": 30}})


def test_message_text_contains_and_matches_folded_in_every_script():
    c = ConversationFactory(subject="Remboursement")
    message = MessageFactory(conversation=c, text="मेरा रिफ़ंड कब आएगा? Commande Nº 4521")
    assert holds(c, {"field": "message", "op": "contains", "value": "रिफ़ंड"}, message=message)
    assert holds(c, {"field": "message", "op": "contains", "value": "COMMANDE"}, message=message)
    assert holds(c, {"field": "message", "op": "matches", "value": r"\b\d{4}\b"}, message=message)
    assert not holds(c, {"field": "message", "op": "not_contains", "value": "commande"})
    assert holds(c, {"field": "subject", "op": "contains", "value": "rembourse"})


def test_a_hostile_pattern_gives_up_quickly():
    c = ConversationFactory()
    message = MessageFactory(conversation=c, text="a" * 5000 + "!")
    started = time.monotonic()
    result = holds(c, {"field": "message", "op": "matches", "value": r"(a+)+$"}, message=message)
    assert result is False
    assert time.monotonic() - started < 5  # the timeout, not the heat death of the universe


def test_business_hours_from_the_routing_calendar():
    inbox = InboxFactory()
    c = ConversationFactory(inbox=inbox)
    assert holds(c, {"field": "business_hours", "op": "is", "value": "open"})  # no hours: open
    closed = Calendar.objects.create(name="Never", time_zone="UTC", weekly={})
    RoutingPolicy.objects.create(inbox=inbox, calendar=closed)
    assert holds(c, {"field": "business_hours", "op": "is", "value": "closed"})


def test_time_since_a_moment():
    c = ConversationFactory()
    c.status_changed_at = timezone.now() - timedelta(hours=3)
    c.save()
    since = {"field": "time_since", "op": "more_than"}
    assert holds(c, {**since, "value": {"anchor": "status_changed", "minutes": 120}})
    assert not holds(c, {**since, "value": {"anchor": "status_changed", "minutes": 240}})
    assert not holds(c, {**since, "value": {"anchor": "solved", "minutes": 1}})  # never solved


def test_inbox_settings():
    c = ConversationFactory(inbox=InboxFactory(config={"auto_reply": True}))
    assert holds(c, {"field": "inbox_setting", "op": "is_set", "value": "auto_reply"})
    assert holds(c, {"field": "inbox_setting", "op": "is_empty", "value": "answer_bot"})


def test_all_and_any_groups_and_the_trace_of_what_was_seen():
    c = ConversationFactory(priority="urgent", channel="api")
    tree = conditions.clean(
        {
            "match": "all",
            "items": [
                {"field": "priority", "op": "in", "value": ["urgent"]},
                {
                    "match": "any",
                    "items": [
                        {"field": "channel", "op": "in", "value": ["email"]},
                        {"field": "channel", "op": "in", "value": ["api"]},
                    ],
                },
            ],
        }
    )
    trace: list[dict[str, Any]] = []
    assert conditions.evaluate(tree, Facts(c, now=timezone.now()), trace)
    assert [(t["field"], t["seen"], t["result"]) for t in trace] == [
        ("priority", "urgent", True),
        ("channel", "api", False),
        ("channel", "api", True),
    ]
    trace.clear()
    c.priority = "low"
    assert not conditions.evaluate(tree, Facts(c, now=timezone.now()), trace)
    assert len(trace) == 1  # the first false condition of an "all" group decides


@pytest.mark.parametrize(
    "bad",
    [
        {"field": "nope", "op": "in", "value": ["x"]},
        {"field": "status", "op": "contains", "value": "x"},
        {"field": "status", "op": "in", "value": []},
        {"field": "message", "op": "matches", "value": "(unclosed"},
        {"field": "orders", "op": "any_over", "value": {"amount": "lots", "days": 3}},
        {"field": "time_since", "op": "more_than", "value": {"anchor": "birthday", "minutes": 3}},
        {"field": "business_hours", "op": "is", "value": "maybe"},
        {"field": "team", "op": "in", "value": ["Support"]},
    ],
)
def test_what_cannot_be_saved(bad):
    with pytest.raises(conditions.ConditionError):
        conditions.clean({"match": "all", "items": [bad]})


def test_groups_nest_at_most_three_deep():
    leaf = {"field": "status", "op": "in", "value": ["new"]}
    deep: dict[str, Any] = {"match": "all", "items": [leaf]}
    for _ in range(3):
        deep = {"match": "any", "items": [deep]}
    with pytest.raises(conditions.ConditionError):
        conditions.clean(deep)
