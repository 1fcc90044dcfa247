"""Write a conversation's log as it would have happened at given times (fixtures for the
metric definitions): messages and status/assignee events with explicit timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sahayak.conversations.models import Conversation, Event, Message

from ..factories import ConversationFactory, MessageFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def at(minutes: float, start: datetime = T0) -> datetime:
    return start + timedelta(minutes=minutes)


class Timeline:
    def __init__(self, start: datetime = T0, **fields: Any) -> None:
        self.start = start
        self.conversation: Conversation = ConversationFactory(status="new", **fields)
        Conversation.objects.filter(pk=self.conversation.pk).update(created_at=start)
        self.conversation.refresh_from_db()

    def _when(self, minutes: float) -> datetime:
        return at(minutes, self.start)

    def customer(self, minutes: float) -> Message:
        m = MessageFactory(conversation=self.conversation, direction="in")
        Message.objects.filter(pk=m.pk).update(created_at=self._when(minutes))
        return m

    def reply(self, minutes: float, agent: Any, status: str = "sent", **metadata: Any) -> Message:
        m = MessageFactory(
            conversation=self.conversation,
            direction="out",
            author_user=agent,
            delivery_status=status,
            metadata=metadata,
        )
        Message.objects.filter(pk=m.pk).update(created_at=self._when(minutes))
        return m

    def note(self, minutes: float, agent: Any) -> Message:
        m = MessageFactory(conversation=self.conversation, direction="note", author_user=agent)
        Message.objects.filter(pk=m.pk).update(created_at=self._when(minutes))
        return m

    def status(self, minutes: float, old: str, new: str) -> None:
        e = Event.objects.create(
            conversation=self.conversation, kind="status", data={"from": old, "to": new}
        )
        Event.objects.filter(pk=e.pk).update(created_at=self._when(minutes))
        Conversation.objects.filter(pk=self.conversation.pk).update(status=new)

    def assign(self, minutes: float, agent: Any) -> None:
        e = Event.objects.create(
            conversation=self.conversation,
            kind="assignee",
            data={"from": None, "to": agent.pk if agent else None},
        )
        Event.objects.filter(pk=e.pk).update(created_at=self._when(minutes))
