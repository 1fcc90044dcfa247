"""Background work of routing: deadlines recomputed after a calendar or policy edit."""

from __future__ import annotations

from django_tasks import task

from . import deadlines

CHUNK = 5000


@task(queue_name="routing")
def recompute_open_deadlines(after_id: int = 0, full: bool = True) -> int:
    """Recompute a chunk of open conversations, then queue the next chunk (restartable).

    ``full``: from the event logs (a policy changed: which applies, and its targets).
    Otherwise only business hours changed, and the kept clocks are measured again.
    """
    calendars = deadlines.Calendars()
    done, last = 0, after_id
    while done < CHUNK:
        if full:
            count, following = deadlines.recompute_open(last)
        else:
            count, following = deadlines.reevaluate_open(last, calendars=calendars)
        done += count
        if following is None:
            deadlines.reclaim()
            return done
        last = following
    recompute_open_deadlines.enqueue(last, full)
    return done
