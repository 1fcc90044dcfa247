"""Macros: actions in order through the core's services, as the agent; fields the agent
fills in; all or nothing; what a macro may not be saved with."""

from __future__ import annotations

import pytest

from sahayak.automation import canned, macros
from sahayak.automation.models import CannedReply, Macro
from sahayak.conversations.events import EventKind
from sahayak.conversations.models import Event, Message
from tests.factories import ContactFactory, ConversationFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


def shared_refund() -> CannedReply:
    return canned.save_reply(
        CannedReply(title="Refund policy"),
        [("en", "Hello {{ customer.first_name }}"), ("fr", "Bonjour {{ customer.first_name }}")],
    )


def test_reply_tag_and_solve_in_order_as_the_agent_in_the_customers_language():
    agent = UserFactory()
    macro = macros.save_macro(
        Macro(name="Refund done"),
        [
            {"type": "reply", "canned_reply_id": shared_refund().pk},
            {"type": "add_tags", "value": ["Refund"]},
            {"type": "note", "text": "Refunded {{ fields.amount }} for {{ customer.name }}"},
            {"type": "status", "value": "solved"},
        ],
        [{"name": "amount", "label": "Amount"}],
    )
    conversation = ConversationFactory(contact=ContactFactory(name="Élodie M", locale="fr"))
    done = macros.apply(macro, conversation, agent, {"amount": "40 €"})
    assert done == ["reply", "add_tags", "note", "status"]
    texts = list(conversation.messages.order_by("id").values_list("direction", "text"))
    assert texts == [("out", "Bonjour Élodie"), ("note", "Refunded 40 € for Élodie M")]
    conversation.refresh_from_db()
    assert conversation.status == "solved"
    assert list(conversation.tags.values_list("name", flat=True)) == ["refund"]
    kinds = list(
        Event.objects.filter(conversation=conversation, actor=agent)
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds.index(EventKind.TAGS) < kinds.index(EventKind.STATUS)
    assert Macro.objects.get(pk=macro.pk).usage_count == 1


def test_fields_are_required_and_a_failure_part_way_changes_nothing():
    agent = UserFactory()
    macro = macros.save_macro(
        Macro(name="Escalate"),
        [
            {"type": "priority", "value": "urgent"},
            {"type": "assign", "value": "me"},
            {"type": "team", "value": TeamFactory().pk},
            {"type": "reply", "text": "Escalated: {{ fields.reason }}"},
        ],
        [{"name": "reason", "label": "Reason"}],
    )
    conversation = ConversationFactory(channel="nowhere")  # no channel reaches this customer
    with pytest.raises(macros.MacroError, match="Reason"):
        macros.apply(macro, conversation, agent, {"reason": "  "})
    with pytest.raises(macros.MacroError):
        macros.apply(macro, conversation, agent, {"reason": "VIP"})
    conversation.refresh_from_db()
    assert conversation.priority == "normal" and conversation.assignee is None
    assert conversation.team is None and not Message.objects.exists()
    assert Macro.objects.get(pk=macro.pk).usage_count == 0


@pytest.mark.parametrize(
    ("actions", "fields", "error"),
    [
        ([], [], "1 to"),
        ([{"type": "delete_everything"}], [], "Unknown action"),
        ([{"type": "status", "value": "gone"}], [], "Unknown status"),
        ([{"type": "assign", "value": 999999}], [], "No such agent"),
        ([{"type": "team", "value": 999999}], [], "No such team"),
        ([{"type": "note", "text": "{{ fields.x }}"}], [], "Placeholder"),
        ([{"type": "note", "text": "{{ settings.SECRET_KEY }}"}], [], "Placeholder"),
        ([{"type": "note", "text": "ok"}], [{"name": "a b"}], "field"),
        ([{"type": "add_tags", "value": []}], [], "tag"),
    ],
)
def test_what_a_macro_may_not_be_saved_with(actions, fields, error):
    with pytest.raises(macros.MacroError, match=error):
        macros.save_macro(Macro(name="Bad"), actions, fields)


def test_a_macro_uses_only_shared_canned_replies():
    own = canned.save_reply(CannedReply(title="Mine", owner=UserFactory()), [("en", "x")])
    with pytest.raises(macros.MacroError, match="shared"):
        macros.save_macro(Macro(name="M"), [{"type": "reply", "canned_reply_id": own.pk}], [])
