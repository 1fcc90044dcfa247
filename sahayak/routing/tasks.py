"""Background work of routing: deadlines recomputed after a calendar or policy edit."""

from __future__ import annotations

from django.conf import settings
from django_tasks import task

from sahayak.conversations.models import Conversation

from . import config, deadlines

CHUNK = 5000


def recompute_everything(full: bool) -> None:
    """Queue a pass over every open conversation, in ``SAHAYAK_SLA_SLICES`` ranges of ids
    that workers take side by side (one worker takes them in turn)."""
    top = Conversation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    slices = settings.SAHAYAK_SLA_SLICES
    step = top // slices + 1
    for i in range(slices):
        # The last range is open-ended: conversations that arrive meanwhile are computed
        # as they arrive, and it is the one that tidies up after the pass.
        recompute_open_deadlines.enqueue(i * step, full, (i + 1) * step if i < slices - 1 else None)


@task(queue_name="routing")
def recompute_open_deadlines(after_id: int = 0, full: bool = True, up_to: int | None = None) -> int:
    """Recompute a chunk of open conversations after ``after_id`` (up to ``up_to``), then
    queue the next chunk (restartable).

    ``full``: from the event logs (a policy changed: which applies, and its targets).
    Otherwise only business hours changed, and the kept clocks are measured again.
    """
    config.forget()  # the edit that queued this pass may come from another process
    done, last = deadlines.recompute_pass(after_id, up_to, full, limit=CHUNK)
    if last is None:
        if up_to is None:
            deadlines.reclaim()
        return done
    recompute_open_deadlines.enqueue(last, full, up_to)
    return done
