"""Domain events. They are sent after the transaction commits (see ``emit_on_commit``)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.dispatch import Signal

# kwargs: conversation, message, created_conversation
message_received = Signal()
# kwargs: conversation, message (outbound or note)
message_created = Signal()
# kwargs: conversation, changes (dict of field -> [old, new])
conversation_updated = Signal()
# kwargs: message
delivery_status_changed = Signal()


def emit_on_commit(signal: Signal, **kwargs: Any) -> None:
    """Send ``signal`` once the surrounding transaction has committed (never for a rollback)."""
    transaction.on_commit(lambda: signal.send(sender=None, **kwargs), robust=True)
