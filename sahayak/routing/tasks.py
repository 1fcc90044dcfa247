"""Background work of routing: deadlines recomputed after a calendar or policy edit."""

from __future__ import annotations

from django_tasks import task

from . import deadlines

CHUNK = 5000


@task(queue_name="routing")
def recompute_open_deadlines(after_id: int = 0) -> int:
    """Recompute a chunk of open conversations, then queue the next chunk (restartable)."""
    done, last = 0, after_id
    while done < CHUNK:
        count, following = deadlines.recompute_open(last)
        done += count
        if following is None:
            return done
        last = following
    recompute_open_deadlines.enqueue(last)
    return done
