"""Agent operations record events; merge and link of conversations; undo."""

import pytest

from sahayak.conversations.models import Event, Message, Status
from sahayak.conversations.pipeline import receive
from sahayak.conversations.services import (
    ConversationError,
    assign,
    link_conversations,
    merge_conversations,
    set_priority,
    set_status,
    set_tags,
    undo_conversation_merge,
    unlink_conversations,
)
from tests.conftest import inbound

pytestmark = pytest.mark.django_db


def _conv(inbox, key):
    return receive(inbound(inbox, external_id=key, thread_key=key)).conversation


def test_every_change_is_recorded_as_an_event(api_inbox, admin, teammate):
    conv = _conv(api_inbox, "a")
    set_status(conversation=conv, status=Status.PENDING, actor=admin)
    set_priority(conversation=conv, priority="urgent", actor=admin)
    assign(conversation=conv, assignee=teammate, actor=admin)
    set_tags(conversation=conv, names=["Refund", "refund ", "वापसी"], actor=admin)
    kinds = list(Event.objects.filter(conversation=conv).values_list("kind", flat=True))
    assert kinds == ["created", "status", "priority", "assignee", "tags"]
    assert sorted(conv.tags.values_list("name", flat=True)) == ["refund", "वापसी"]
    # Setting the same value again is not a change.
    set_status(conversation=conv, status=Status.PENDING, actor=admin)
    assert Event.objects.filter(conversation=conv).count() == 5


def test_unknown_status_is_refused(api_inbox, admin):
    with pytest.raises(ConversationError):
        set_status(conversation=_conv(api_inbox, "a"), status="lost", actor=admin)


def test_merge_moves_messages_and_undo_restores_them(api_inbox, admin):
    source, target = _conv(api_inbox, "s"), _conv(api_inbox, "t")
    receive(inbound(api_inbox, external_id="s2", thread_key="s"))
    set_status(conversation=source, status=Status.PENDING, actor=admin)
    merge = merge_conversations(source=source, target=target, actor=admin)
    source.refresh_from_db()
    assert source.merged_into_id == target.pk and source.status == Status.CLOSED
    assert Message.objects.filter(conversation=target).count() == 3
    undo_conversation_merge(merge=merge, actor=admin)
    source.refresh_from_db()
    assert source.merged_into_id is None and source.status == Status.PENDING
    assert Message.objects.filter(conversation=source).count() == 2
    assert Message.objects.filter(conversation=target).count() == 1
    with pytest.raises(ConversationError):
        undo_conversation_merge(merge=merge, actor=admin)


def test_merge_refuses_itself(api_inbox, admin):
    conv = _conv(api_inbox, "a")
    with pytest.raises(ConversationError):
        merge_conversations(source=conv, target=conv, actor=admin)


def test_link_is_symmetric_and_can_be_removed(api_inbox, admin):
    a, b = _conv(api_inbox, "a"), _conv(api_inbox, "b")
    link_conversations(a=a, b=b, actor=admin)
    assert list(b.related.all()) == [a]
    unlink_conversations(a=b, b=a, actor=admin)
    assert not a.related.exists()
