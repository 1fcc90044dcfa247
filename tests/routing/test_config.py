"""The routing configuration a process keeps: its own edits apply at once, another
process's after a short while, and a recompute pass never works from an old copy."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sahayak.routing import config, deadlines
from sahayak.routing.models import Calendar, Policy, RoutingPolicy, SlaPolicy
from tests.factories import InboxFactory

pytestmark = pytest.mark.django_db


def _reads(action: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured.captured_queries)


def test_the_configuration_is_read_once_then_kept(settings):
    settings.SAHAYAK_ROUTING_CONFIG_SECONDS = 60
    SlaPolicy.objects.create(name="Standard", first_response_minutes=60)
    assert _reads(deadlines.any_policy) == 4  # SLA and routing policies, calendars, holidays
    assert _reads(deadlines.any_policy) == 0
    assert _reads(deadlines.Calendars.current) == 0
    assert deadlines.Calendars.current() is deadlines.Calendars.current()


def test_an_edit_in_this_process_applies_at_once(settings):
    settings.SAHAYAK_ROUTING_CONFIG_SECONDS = 60
    inbox = InboxFactory(channel="api")
    assert not deadlines.any_policy()
    policy = SlaPolicy.objects.create(name="Standard", first_response_minutes=60)
    assert deadlines.any_policy()
    policy.is_active = False
    policy.save()
    assert not deadlines.any_policy()
    routing = RoutingPolicy.objects.create(inbox=inbox, policy=Policy.ROUND_ROBIN)
    assert config.current().policy_of_inbox(inbox.pk).policy == Policy.ROUND_ROBIN
    calendar = Calendar.objects.create(name="Kolkata", time_zone="Asia/Kolkata")
    routing.calendar = calendar
    routing.save()
    assert deadlines.Calendars.current().by_inbox == {inbox.pk: calendar.pk}
    routing.delete()
    assert config.current().policy_of_inbox(inbox.pk) is None


def test_an_edit_by_another_process_applies_after_the_configured_seconds(settings):
    """``update()`` writes without this process's signals, as another process would."""
    settings.SAHAYAK_ROUTING_CONFIG_SECONDS = 60
    SlaPolicy.objects.create(name="Standard", first_response_minutes=60)
    assert deadlines.any_policy()
    SlaPolicy.objects.update(is_active=False)
    assert deadlines.any_policy()  # kept
    settings.SAHAYAK_ROUTING_CONFIG_SECONDS = 0
    assert not deadlines.any_policy()


def test_a_recompute_pass_reads_the_configuration_afresh(settings):
    from sahayak.routing.tasks import recompute_open_deadlines

    settings.SAHAYAK_ROUTING_CONFIG_SECONDS = 60
    assert not deadlines.any_policy()
    SlaPolicy.objects.bulk_create([SlaPolicy(name="Elsewhere", first_response_minutes=5)])
    assert not deadlines.any_policy()  # written by another process: not seen yet
    recompute_open_deadlines.call(0, True, None)
    assert deadlines.any_policy()
