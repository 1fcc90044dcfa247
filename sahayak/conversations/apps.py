from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConversationsConfig(AppConfig):
    name = "sahayak.conversations"
    label = "conversations"
    verbose_name = _("Conversations")

    def ready(self) -> None:
        from sahayak.contacts.services import contact_records_moved, contact_split

        from . import periodic
        from .delivery import forget_early_reports, requeue_due
        from .services import wake_due

        contact_records_moved.connect(_contact_changed, dispatch_uid="conversations-contact")
        contact_split.connect(_contact_split, dispatch_uid="conversations-split")
        # Deliveries whose task was lost (a worker killed mid-send, a queue wiped).
        periodic.register("requeue-deliveries", requeue_due, every_seconds=30)
        periodic.register("wake-snoozed", wake_due, every_seconds=30)
        periodic.register("forget-early-reports", forget_early_reports, every_seconds=3600)


def _contact_changed(
    moved: dict[str, list[int]], old_contact: int, new_contact: int, actor: Any, **_: Any
) -> None:
    """A contact merge (or its undo) moved conversations to another customer: each records it."""
    from .events import EventKind, record
    from .models import Conversation

    ids = moved.get("conversations.Conversation.contact", [])
    for conversation in Conversation.objects.filter(pk__in=ids).order_by("id"):
        record(
            EventKind.CONTACT_CHANGED,
            conversation,
            actor=actor,
            old=old_contact,
            new=new_contact,
        )


def _contact_split(
    source: Any, target: Any, since: Any, moved: dict[str, list[int]], actor: Any, **_: Any
) -> None:
    from .ownership import follow_identities

    merged = moved.get("conversations.Conversation.contact", [])
    follow_identities(source=source, target=target, since=since, merged=merged, actor=actor)
