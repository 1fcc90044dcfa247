"""The metric definitions of docs/metrics.md, on fixture conversations: what counts as a
response, when a cycle starts and ends, and business against calendar time."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from sahayak.analytics import facts
from sahayak.analytics.models import Cycle, Response
from sahayak.conversations.models import Conversation
from sahayak.conversations.services import merge_conversations
from sahayak.routing.calendars import BusinessCalendar
from sahayak.routing.models import Calendar, RoutingPolicy

from ..factories import UserFactory
from .timeline import Timeline

pytestmark = pytest.mark.django_db


def _cycles(conversation: Conversation) -> list[Cycle]:
    return list(Cycle.objects.filter(conversation=conversation).order_by("number"))


def _responses(conversation: Conversation) -> list[Response]:
    return list(Response.objects.filter(conversation=conversation).order_by("responded_at"))


def test_first_and_next_response_and_resolution_are_measured_from_the_waits() -> None:
    """A wait starts at the first unanswered customer message and ends at the next reply;
    a second customer message while waiting does not restart it."""
    agent = UserFactory()
    t = Timeline()
    t.customer(0)
    t.reply(30, agent)  # first response: 30 min
    t.customer(60)
    t.customer(70)  # still the same wait
    t.reply(100, agent)  # next response: 40 min from 60
    t.reply(110, agent)  # not a response: nobody was waiting
    t.assign(5, agent)
    t.status(120, "open", "solved")
    facts.recompute([t.conversation.pk])
    (cycle,) = _cycles(t.conversation)
    assert cycle.first_response_s == 30 * 60
    assert cycle.resolution_s == 120 * 60
    assert cycle.replies == 3
    assert cycle.agent_id == agent.pk
    waits = [(r.is_first, r.wait_s) for r in _responses(t.conversation)]
    assert waits == [(True, 1800), (False, 2400)]


def test_bots_automatic_messages_notes_and_failed_replies_are_not_responses() -> None:
    agent = UserFactory()
    t = Timeline()
    t.customer(0)
    t.reply(1, None)  # the answer bot (no author)
    t.reply(2, agent, automatic="acknowledgement")  # an automatic acknowledgement
    t.note(3, agent)
    t.reply(4, agent, status="failed")  # never arrived
    t.reply(5, agent, status="retrying")  # not yet taken by the channel
    t.reply(45, agent, status="delivered")
    facts.recompute([t.conversation.pk])
    (cycle,) = _cycles(t.conversation)
    assert cycle.first_response_s == 45 * 60
    assert cycle.replies == 1
    assert cycle.solved_at is None


def test_a_reopen_starts_a_new_cycle_with_its_own_first_response() -> None:
    agent = UserFactory()
    t = Timeline()
    t.customer(0)
    t.reply(10, agent)
    t.status(20, "open", "solved")
    t.status(25, "solved", "closed")  # closing a solved conversation is not a second solve
    t.status(600, "closed", "open")
    t.customer(600)
    t.reply(660, agent)
    t.status(700, "open", "solved")
    facts.recompute([t.conversation.pk])
    first, second = _cycles(t.conversation)
    assert first.reopened and first.resolution_s == 20 * 60
    assert second.number == 2 and not second.reopened
    assert second.opened_at == t._when(600)
    assert second.first_response_s == 60 * 60
    assert second.resolution_s == 100 * 60


def test_an_agent_started_conversation_has_no_first_response() -> None:
    agent = UserFactory()
    t = Timeline()
    t.reply(0, agent)
    t.customer(30)
    t.reply(50, agent)
    facts.recompute([t.conversation.pk])
    (cycle,) = _cycles(t.conversation)
    assert cycle.first_response_s == 20 * 60  # the first wait of the cycle
    assert [r.is_first for r in _responses(t.conversation)] == [True]


def test_merged_conversations_count_once_in_their_target() -> None:
    agent = UserFactory()
    a = Timeline()
    a.customer(0)
    b = Timeline(contact=a.conversation.contact)
    b.customer(5)
    merge_conversations(source=b.conversation, target=a.conversation, actor=agent)
    a.reply(40, agent)
    facts.recompute([a.conversation.pk, b.conversation.pk])
    assert _cycles(b.conversation) == []
    (cycle,) = _cycles(a.conversation)
    assert cycle.first_response_s == 40 * 60
    assert len(_responses(a.conversation)) == 1


def test_spam_has_no_facts() -> None:
    t = Timeline()
    t.customer(0)
    t.status(1, "new", "spam")
    facts.recompute([t.conversation.pk])
    assert _cycles(t.conversation) == []


def _weekdays_9_to_5(zone: str) -> Calendar:
    return Calendar.objects.create(
        name=f"Office {zone}",
        time_zone=zone,
        weekly={str(d): [["09:00", "17:00"]] for d in range(5)},
    )


def test_business_time_skips_the_weekend() -> None:
    """Friday 16:00 to Monday 10:00 is 66 hours, of which 2 are business hours."""
    agent = UserFactory()
    start = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)  # Friday
    t = Timeline(start=start)
    RoutingPolicy.objects.create(
        inbox=t.conversation.inbox, calendar=_weekdays_9_to_5("UTC"), policy="manual"
    )
    t.customer(0)
    t.reply(66 * 60, agent)
    t.status(66 * 60 + 30, "open", "solved")
    facts.recompute([t.conversation.pk])
    (cycle,) = _cycles(t.conversation)
    assert cycle.first_response_s == 66 * 3600
    assert cycle.first_response_bs == 2 * 3600
    assert cycle.resolution_bs == 2 * 3600 + 1800


def test_business_time_across_a_dst_change() -> None:
    """Europe/Paris moves to summer time in the night of Saturday 28 to Sunday 29 March
    2026: from Friday 16:00 local to Monday 10:00 local is 65 calendar hours, 2 business."""
    agent = UserFactory()
    start = datetime(2026, 3, 27, 15, 0, tzinfo=UTC)  # Friday 16:00 in Paris (UTC+1)
    t = Timeline(start=start)
    RoutingPolicy.objects.create(
        inbox=t.conversation.inbox, calendar=_weekdays_9_to_5("Europe/Paris"), policy="manual"
    )
    t.customer(0)
    t.reply(65 * 60, agent)  # Monday 08:00 UTC = 10:00 in Paris (UTC+2)
    facts.recompute([t.conversation.pk])
    (cycle,) = _cycles(t.conversation)
    assert cycle.first_response_s == 65 * 3600
    assert cycle.first_response_bs == 2 * 3600


def test_without_business_hours_business_time_is_calendar_time() -> None:
    agent = UserFactory()
    t = Timeline()
    t.customer(0)
    t.reply(90, agent)
    facts.recompute([t.conversation.pk])
    (cycle,) = _cycles(t.conversation)
    assert cycle.first_response_bs == cycle.first_response_s == 90 * 60


def test_pure_replay_orders_a_status_change_before_a_message_at_the_same_moment() -> None:
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    items = [
        facts.Item(start, "customer"),
        facts.Item(start.replace(minute=10), "reply", 7),
        facts.Item(start.replace(minute=20), "status", ("open", "solved")),
        facts.Item(start.replace(hour=10), "customer"),
        facts.Item(start.replace(hour=10), "status", ("solved", "open")),
    ]
    result = facts.replay(start, items, BusinessCalendar(weekly={0: ((time(9), time(17)),)}))
    assert [c["number"] for c in result.cycles] == [1, 2]
    assert result.cycles[1]["opened_at"] == start.replace(hour=10)


def test_refresh_follows_the_logs_and_catches_up_after_a_missed_change() -> None:
    """Facts are recomputed from the append-only logs: a change made while nothing
    listened (a process killed after committing) is picked up by the next refresh."""
    agent = UserFactory()
    t = Timeline()
    t.customer(0)
    facts.refresh()
    assert _cycles(t.conversation)[0].first_response_s is None
    t.reply(15, agent)
    count, _more = facts.refresh()
    assert count >= 1
    assert _cycles(t.conversation)[0].first_response_s == 15 * 60


def test_rebuild_reports_progress_and_is_idempotent() -> None:
    agent = UserFactory()
    for _ in range(3):
        t = Timeline()
        t.customer(0)
        t.reply(5, agent)
    seen: list[tuple[int, int]] = []
    assert facts.rebuild(batch=2, progress=lambda d, n: seen.append((d, n))) == 3
    assert seen == [(2, 3), (3, 3)]
    facts.rebuild()
    assert Cycle.objects.count() == 3 and Response.objects.count() == 3


def test_the_rebuild_command_prints_progress_and_a_summary() -> None:
    from io import StringIO

    from django.core.management import call_command

    agent = UserFactory()
    t = Timeline()
    t.customer(0)
    t.reply(5, agent)
    out = StringIO()
    call_command("analytics", "rebuild", stdout=out)
    text = out.getvalue()
    assert "conversations: 1/1" in text and "Replayed 1 conversations" in text
    assert Cycle.objects.get(conversation=t.conversation).first_response_s == 300
