"""SLA clocks: the pure function over event logs, stored deadlines, replay, the watcher."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from sahayak.conversations.events import EventKind
from sahayak.conversations.models import Event, Message, Status
from sahayak.conversations.pipeline import receive
from sahayak.conversations.services import set_priority, set_status
from sahayak.routing import deadlines, sla, watch
from sahayak.routing.calendars import ALWAYS, BusinessCalendar
from sahayak.routing.models import Calendar, ConversationSla, Holiday, RoutingPolicy, SlaPolicy
from sahayak.routing.sla import Fact, Targets, clocks
from sahayak.routing.tasks import recompute_open_deadlines
from tests.conftest import inbound
from tests.factories import InboxFactory

H = timedelta(hours=1)
M = timedelta(minutes=1)
NINE_TO_FIVE = BusinessCalendar(
    time_zone="Europe/Paris",
    weekly={d: ((time(9), time(17)),) for d in range(5)},
)
EARLY = BusinessCalendar(
    time_zone="Asia/Kolkata",
    weekly={d: ((time(7), time(13)), (time(21), time(2))) for d in range(6)},
)
# Monday 2026-03-02, 10:00 in Paris (UTC+1).
MON_10 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return MON_10 + timedelta(hours=hours)


def shown(row: ConversationSla) -> dict[str, Any]:
    """The clocks as the side panel and the API show them."""
    return deadlines.clocks_of(row)


def us(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def due(result: dict[str, Any], metric: str) -> datetime | None:
    value = result[metric]["due"]
    return datetime.fromisoformat(value) if value else None


# --- the pure function ---------------------------------------------------------------------


def test_first_response_due_in_business_time():
    result = clocks([Fact(at(0), "created")], Targets(first_response=4 * H), NINE_TO_FIVE)
    assert result["first_response"]["state"] == sla.RUNNING
    assert due(result, "first_response") == at(4)  # 14:00 Paris


def test_first_response_past_closing_runs_into_next_day():
    result = clocks([Fact(at(6), "created")], Targets(first_response=2 * H), NINE_TO_FIVE)
    # Monday 16:00 + 2h business = Tuesday 10:00 Paris = 09:00 UTC.
    assert due(result, "first_response") == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)


def test_a_reply_meets_the_first_response_and_starts_the_periodic_update():
    facts = [Fact(at(0), "created"), Fact(at(1), "reply")]
    result = clocks(facts, Targets(first_response=4 * H, periodic_update=2 * H), NINE_TO_FIVE)
    assert result["first_response"]["state"] == sla.MET
    assert result["periodic_update"]["state"] == sla.RUNNING
    assert due(result, "periodic_update") == at(3)


def test_a_late_reply_is_missed():
    facts = [Fact(at(0), "created"), Fact(at(5), "reply")]
    result = clocks(facts, Targets(first_response=4 * H), NINE_TO_FIVE)
    assert result["first_response"]["state"] == sla.MISSED


def test_next_response_starts_with_the_customer_after_a_reply_and_never_replaces_the_first():
    targets = Targets(first_response=4 * H, next_response=1 * H)
    before_reply = clocks(
        [Fact(at(0), "created"), Fact(at(0.5), "customer")], targets, NINE_TO_FIVE
    )
    assert "next_response" not in before_reply
    assert due(before_reply, "first_response") == at(4)
    after = clocks(
        [Fact(at(0), "created"), Fact(at(1), "reply"), Fact(at(2), "customer")],
        targets,
        NINE_TO_FIVE,
    )
    assert due(after, "next_response") == at(3)
    assert after["first_response"]["state"] == sla.MET


def test_pending_pauses_every_clock_and_open_resumes_with_what_was_left():
    facts = [
        Fact(at(0), "created"),
        Fact(at(1), "status", "pending"),
        Fact(at(3), "status", "open"),
    ]
    result = clocks(facts, Targets(first_response=4 * H, resolution=8 * H), NINE_TO_FIVE)
    assert due(result, "first_response") == at(6)  # 1h used, 3h left from 13:00
    paused = clocks(facts[:2], Targets(first_response=4 * H), NINE_TO_FIVE)
    assert paused["first_response"]["state"] == sla.PAUSED
    assert paused["first_response"]["due"] is None
    assert paused["first_response"]["left_seconds"] == 3 * 3600


def test_on_hold_pauses_too():
    facts = [Fact(at(0), "created"), Fact(at(0.5), "status", "on_hold")]
    assert clocks(facts, Targets(first_response=H), NINE_TO_FIVE)["first_response"]["state"] == (
        sla.PAUSED
    )


def test_solved_stops_and_a_reopen_continues_resolution_and_starts_a_new_next_response():
    targets = Targets(next_response=H, resolution=4 * H)
    facts = [
        Fact(at(0), "created"),
        Fact(at(0.5), "reply"),
        Fact(at(1), "status", "solved"),
        Fact(at(5), "status", "open"),
        Fact(at(5), "customer"),
    ]
    result = clocks(facts, targets, NINE_TO_FIVE)
    # 1h used before solving; 3h left from 15:00 Paris: 2h on Monday, 1h on Tuesday.
    assert due(result, "resolution") == datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    assert result["next_response"]["cycle"] == 1
    assert due(result, "next_response") == at(6)
    solved = clocks(facts[:3], targets, NINE_TO_FIVE)
    assert solved["resolution"]["state"] == sla.MET


def test_each_customer_message_after_a_reply_is_a_new_cycle():
    targets = Targets(next_response=H)
    facts = [
        Fact(at(0), "created"),
        Fact(at(0.1), "reply"),
        Fact(at(0.2), "customer"),
        Fact(at(0.3), "reply"),
        Fact(at(0.4), "customer"),
        Fact(at(0.5), "customer"),  # a second message does not restart the clock
    ]
    result = clocks(facts, targets, NINE_TO_FIVE)
    assert result["next_response"]["cycle"] == 2
    assert due(result, "next_response") == at(1.4)


def test_a_resolution_reopened_after_its_deadline_is_due_at_once():
    facts = [
        Fact(at(0), "created"),
        Fact(at(1), "reply"),
        Fact(at(5), "status", "solved"),  # 5 business hours used of 2
        Fact(at(24 + 2), "status", "open"),  # Tuesday 11:00 Paris
    ]
    result = clocks(facts, Targets(resolution=2 * H), NINE_TO_FIVE)
    assert result["resolution"]["state"] == sla.RUNNING
    assert due(result, "resolution") == at(26)
    assert result["resolution"]["left_seconds"] == 0


def test_the_kept_plan_measured_on_another_calendar_equals_a_replay():
    targets = Targets(
        first_response=4 * H, next_response=H, periodic_update=3 * H, resolution=9 * H
    )
    facts = [
        Fact(at(0), "created"),
        Fact(at(0.5), "status", "pending"),
        Fact(at(3), "status", "open"),
        Fact(at(5), "reply"),
        Fact(at(6), "customer"),
        Fact(at(7), "snooze"),
        Fact(at(30), "wake"),
    ]
    kept = json.loads(json.dumps(sla.plan(facts, targets)))  # as stored
    for calendar in (NINE_TO_FIVE, ALWAYS, EARLY):
        assert sla.evaluate(kept, calendar) == clocks(facts, targets, calendar)


def test_calendar_time_targets_ignore_business_hours():
    result = clocks([Fact(at(6), "created")], Targets(first_response=2 * H), ALWAYS)
    assert due(result, "first_response") == at(8)


def test_target_spanning_a_holiday_week():
    week_off = frozenset(datetime(2026, 3, 3).date() + timedelta(days=i) for i in range(4))
    calendar = BusinessCalendar(
        time_zone="Europe/Paris", weekly=NINE_TO_FIVE.weekly, holidays=week_off
    )
    result = clocks([Fact(at(6), "created")], Targets(first_response=2 * H), calendar)
    # Monday 16:00 + 1h that day; Tuesday-Friday off; Monday 9 March 10:00 Paris.
    assert due(result, "first_response") == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


def test_same_facts_same_deadlines_in_any_input_order():
    facts = [
        Fact(at(0), "created"),
        Fact(at(1), "reply"),
        Fact(at(2), "customer"),
        Fact(at(2.5), "status", "pending"),
        Fact(at(3), "status", "open"),
    ]
    targets = Targets(first_response=H, next_response=H, periodic_update=3 * H, resolution=9 * H)
    assert clocks(facts, targets, NINE_TO_FIVE) == clocks(facts[::-1], targets, NINE_TO_FIVE)


# --- stored deadlines ---------------------------------------------------------------------


@pytest.fixture
def policy(db: Any) -> SlaPolicy:
    return SlaPolicy.objects.create(
        name="Standard",
        position=10,
        first_response_minutes=60,
        next_response_minutes=30,
        resolution_minutes=480,
        business_hours=False,
        warn_minutes=15,
    )


def test_a_new_conversation_gets_deadlines_from_the_first_matching_policy(
    api_inbox, policy, django_capture_on_commit_callbacks
):
    urgent = SlaPolicy.objects.create(
        name="Urgent",
        position=0,
        conditions={"priority": ["urgent"]},
        first_response_minutes=10,
        business_hours=False,
    )
    with django_capture_on_commit_callbacks(execute=True):
        conversation = receive(inbound(api_inbox)).conversation
    row = ConversationSla.objects.get(conversation=conversation)
    assert row.policy == policy and row.next_metric == "first_response"
    assert row.next_due == conversation.created_at + timedelta(minutes=60)
    with django_capture_on_commit_callbacks(execute=True):
        set_priority(conversation=conversation, priority="urgent", actor=None)
    row.refresh_from_db()
    assert row.policy == urgent
    assert row.next_due == conversation.created_at + timedelta(minutes=10)


def test_conditions_on_tags_organization_and_custom_fields():
    subject = deadlines.Subject(
        channel="email",
        inbox_id=1,
        team_id=None,
        priority="normal",
        tags=frozenset({"vip"}),
        organization_id=5,
        custom_fields={"plan": "gold"},
    )
    assert deadlines.matches({"tag": ["VIP"], "organization": [5]}, subject)
    assert deadlines.matches({"custom_field": {"plan": "gold"}}, subject)
    assert not deadlines.matches({"custom_field": {"plan": "silver"}}, subject)
    assert not deadlines.matches({"channel": ["chat"]}, subject)
    assert deadlines.matches({}, subject)


def test_stored_deadlines_equal_a_replay_of_the_event_log(
    api_inbox, policy, django_capture_on_commit_callbacks, admin
):
    made = []
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(5):
            made.append(
                receive(inbound(api_inbox, sender_address=f"r{i}@mail.example")).conversation
            )
        set_status(conversation=made[1], status=Status.PENDING, actor=admin)
        set_status(conversation=made[2], status=Status.SOLVED, actor=admin)
        Message.objects.create(
            conversation=made[3],
            direction="out",
            channel="api",
            text="Hello",
            sent_at=timezone.now(),
        )
        from sahayak.conversations.events import record

        record(EventKind.REPLY_SENT, made[3], new="sent")
    stored = {r.pk: (shown(r), r.next_due, r.watch_at) for r in ConversationSla.objects.all()}
    assert stored[made[3].pk][0]["first_response"]["state"] == sla.MET
    assert stored[made[1].pk][0]["first_response"]["state"] == sla.PAUSED
    assert stored[made[0].pk][1] == due(stored[made[0].pk][0], "first_response")
    # Replay: read the logs afresh and compute again.
    ConversationSla.objects.all().delete()
    deadlines.recompute([c.pk for c in made])
    replayed = {r.pk: (shown(r), r.next_due, r.watch_at) for r in ConversationSla.objects.all()}
    assert replayed == stored


def test_editing_a_calendar_recomputes_open_conversations_in_the_background(
    api_inbox, django_capture_on_commit_callbacks
):
    calendar = Calendar.objects.create(
        name="Paris",
        time_zone="Europe/Paris",
        weekly={str(d): [["09:00", "17:00"]] for d in range(5)},
    )
    RoutingPolicy.objects.create(inbox=api_inbox, calendar=calendar)
    SlaPolicy.objects.create(name="Business", first_response_minutes=120, business_hours=True)
    with django_capture_on_commit_callbacks(execute=True):
        conversation = receive(inbound(api_inbox)).conversation
    before = ConversationSla.objects.get(pk=conversation.pk).next_due
    calendar.weekly = {str(d): [["00:00", "00:00"]] for d in range(7)}  # now always open
    with django_capture_on_commit_callbacks(execute=True):
        calendar.save()
    # The pass is queued in ranges of ids that workers share; here they run one by one.
    queued = list(
        DBTaskResult.objects.filter(task_path__endswith="recompute_open_deadlines")
        .order_by("enqueued_at")
        .values_list("args_kwargs", flat=True)
    )
    ranges = [(q["args"][0], q["args"][2]) for q in queued]
    assert len(ranges) == settings.SAHAYAK_SLA_SLICES
    assert ranges[0][0] == 0 and ranges[-1][1] is None
    assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:], strict=False))
    assert all(q["args"][1] is False for q in queued)  # re-measure, not a full replay
    done = sum(recompute_open_deadlines.call(*q["args"]) for q in queued)
    assert done == 1
    after = ConversationSla.objects.get(pk=conversation.pk).next_due
    assert after == conversation.created_at + timedelta(minutes=120)
    assert before is not None and after is not None and before >= after


def test_a_calendar_edit_gives_the_clocks_a_full_replay_gives(
    api_inbox, django_capture_on_commit_callbacks, admin
):
    calendar = Calendar.objects.create(
        name="Athens",
        time_zone="Europe/Athens",
        weekly={str(d): [["09:00", "17:00"]] for d in range(5)},
    )
    RoutingPolicy.objects.create(inbox=api_inbox, calendar=calendar)
    SlaPolicy.objects.create(
        name="Business",
        first_response_minutes=120,
        next_response_minutes=60,
        resolution_minutes=600,
        business_hours=True,
    )
    made = []
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(4):
            made.append(
                receive(inbound(api_inbox, sender_address=f"e{i}@mail.example")).conversation
            )
        set_status(conversation=made[1], status=Status.PENDING, actor=admin)
        set_status(conversation=made[2], status=Status.ON_HOLD, actor=admin)
        set_status(conversation=made[2], status=Status.OPEN, actor=admin)
    # One row kept before plans were stored: it is computed in full.
    ConversationSla.objects.filter(pk=made[3].pk).update(plan=None)
    calendar.weekly = {str(d): [["21:00", "02:00"]] for d in range(7)}
    calendar.save()
    Holiday.objects.create(calendar=calendar, day=timezone.now().date(), name="Today")
    recompute_open_deadlines.call(0, False)
    measured = {r.pk: (shown(r), r.next_due, r.watch_at) for r in ConversationSla.objects.all()}
    assert ConversationSla.objects.filter(plan__isnull=True).count() == 0
    ConversationSla.objects.all().delete()
    deadlines.recompute([c.pk for c in made])
    replayed = {r.pk: (shown(r), r.next_due, r.watch_at) for r in ConversationSla.objects.all()}
    assert measured == replayed
    assert measured[made[0].pk][1] is not None


def test_holidays_move_deadlines(api_inbox, django_capture_on_commit_callbacks):
    calendar = Calendar.objects.create(
        name="India",
        time_zone="Asia/Kolkata",
        weekly={str(d): [["00:00", "00:00"]] for d in range(7)},
    )
    RoutingPolicy.objects.create(inbox=api_inbox, calendar=calendar)
    SlaPolicy.objects.create(name="Business", resolution_minutes=24 * 60, business_hours=True)
    with django_capture_on_commit_callbacks(execute=True):
        conversation = receive(inbound(api_inbox)).conversation
    local_tomorrow = (
        timezone.now().astimezone(calendar.business_calendar().zone) + timedelta(days=1)
    ).date()
    Holiday.objects.create(calendar=calendar, day=local_tomorrow, name="Festival")
    recompute_open_deadlines.call(0)
    row = ConversationSla.objects.get(pk=conversation.pk)
    assert row.next_due is not None
    assert row.next_due - conversation.created_at >= timedelta(hours=24)


# --- the watcher -------------------------------------------------------------------------


def test_warning_then_breach_become_events_once_each(
    api_inbox, policy, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        conversation = receive(inbound(api_inbox)).conversation
    row = ConversationSla.objects.get(pk=conversation.pk)
    assert row.watch_at == row.next_due - timedelta(minutes=15)
    assert row.next_due is not None
    assert watch.watch(now=row.next_due - timedelta(minutes=20)) == {"warning": 0, "breach": 0}
    with django_capture_on_commit_callbacks(execute=True):
        assert watch.watch(now=row.next_due - timedelta(minutes=10)) == {"warning": 1, "breach": 0}
        assert watch.watch(now=row.next_due - timedelta(minutes=9)) == {"warning": 0, "breach": 0}
        assert watch.watch(now=row.next_due + timedelta(seconds=1)) == {"warning": 0, "breach": 1}
        assert watch.watch(now=row.next_due + timedelta(minutes=5)) == {"warning": 0, "breach": 0}
    kinds = list(
        Event.objects.filter(conversation=conversation, kind__startswith="sla_").values_list(
            "kind", "data"
        )
    )
    assert [k for k, _ in kinds] == [EventKind.SLA_WARNING, EventKind.SLA_BREACHED]
    assert kinds[1][1]["metric"] == "first_response"


def test_warnings_wait_for_business_hours_but_breaches_do_not(
    api_inbox, django_capture_on_commit_callbacks
):
    calendar = Calendar.objects.create(
        name="Night off", time_zone="UTC", weekly={str(d): [["09:00", "17:00"]] for d in range(7)}
    )
    RoutingPolicy.objects.create(inbox=api_inbox, calendar=calendar)
    SlaPolicy.objects.create(
        name="Calendar time", first_response_minutes=60, business_hours=False, warn_minutes=30
    )
    with django_capture_on_commit_callbacks(execute=True):
        conversation = receive(inbound(api_inbox)).conversation
    row = ConversationSla.objects.get(pk=conversation.pk)
    assert row.next_due is not None
    # Pretend the deadline falls at 20:10 UTC: the warning time (19:40) is after hours.
    night = row.next_due.replace(hour=20, minute=10)
    first = row.plan["first_response"]
    began = night - timedelta(minutes=60)  # calendar time: due an hour after it began
    ConversationSla.objects.filter(pk=row.pk).update(
        next_due=night,
        watch_at=night - timedelta(minutes=30),
        plan={"first_response": [first[0], began.isoformat(), None, 1, [us(began), None]]},
    )
    assert watch.watch(now=night - timedelta(minutes=20)) == {"warning": 0, "breach": 0}
    assert watch.watch(now=night + timedelta(minutes=1)) == {"warning": 0, "breach": 1}
    assert not Event.objects.filter(kind=EventKind.SLA_WARNING).exists()


def test_no_policy_no_clocks(api_inbox, django_capture_on_commit_callbacks):
    other = InboxFactory(channel="api")
    SlaPolicy.objects.create(
        name="Other inbox", conditions={"inbox": [other.pk]}, first_response_minutes=5
    )
    with django_capture_on_commit_callbacks(execute=True):
        conversation = receive(inbound(api_inbox)).conversation
    row = ConversationSla.objects.get(pk=conversation.pk)
    assert row.policy is None and row.next_due is None and row.plan is None
    assert deadlines.clocks_of(row) == {}


@pytest.mark.django_db(transaction=True)
def test_a_whole_pass_gives_back_the_old_rows_it_left_on_postgresql(api_inbox):
    """Re-measuring every open conversation updates every row; PostgreSQL keeps the old
    versions until vacuumed, so the pass ends by reclaiming them (a table that doubles
    with each calendar edit gets slower to write)."""
    from django.db import connection

    SlaPolicy.objects.create(name="Business", first_response_minutes=60, business_hours=True)
    receive(inbound(api_inbox))
    deadlines.recompute_open()
    if connection.vendor != "postgresql":
        assert recompute_open_deadlines.call(0, False) == 1
        assert not deadlines.reclaim()
        return
    assert recompute_open_deadlines.call(0, False) == 1
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = %s",
            [ConversationSla._meta.db_table],
        )
        assert cursor.fetchone()[0] is not None


def test_a_row_kept_without_a_plan_is_computed_in_full_by_the_watcher(
    api_inbox, policy, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        conversation = receive(inbound(api_inbox)).conversation
    row = ConversationSla.objects.get(pk=conversation.pk)
    ConversationSla.objects.filter(pk=row.pk).update(plan=None, watch_at=timezone.now())
    assert watch.watch() == {"warning": 0, "breach": 0}
    again = ConversationSla.objects.get(pk=row.pk)
    assert again.plan == row.plan and again.next_due == row.next_due
