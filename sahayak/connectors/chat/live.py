"""Pushing to visitors' browsers through the channel layer.

Each visitor socket joins ``chat.visitor.<public_id>`` (every tab of that browser) and the
agents' ``conversation.<id>`` group of its current conversation, where typing is shared.
Payloads to visitors carry the message itself: the visitor's socket has no other way to
read it, and only that visitor's sockets are in the group.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sahayak.realtime.publish import group_send


def visitor_group(public_id: str) -> str:
    return f"chat.visitor.{public_id}"


def push(public_ids: Iterable[str], payload: dict[str, Any]) -> None:
    """Send ``payload`` (a widget event) to every socket of these visitors."""
    for public_id in public_ids:
        group_send(visitor_group(public_id), {"type": "visitor.push", "payload": payload})
