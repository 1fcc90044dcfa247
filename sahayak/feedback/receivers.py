"""Surveys listen to the core's events: a solve schedules the inbox's CSAT survey."""

from __future__ import annotations

from typing import Any

from sahayak.conversations.events import DomainEvent, EventKind, conversation_event
from sahayak.conversations.models import Status

from . import sending


def on_event(event: DomainEvent, **_: Any) -> None:
    if event.kind == EventKind.STATUS and event.new == Status.SOLVED:
        sending.schedule_csat(event.conversation)


def connect() -> None:
    conversation_event.connect(on_event, dispatch_uid="feedback")
