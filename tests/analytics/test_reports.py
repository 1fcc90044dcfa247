"""Report figures over fixture conversations: counted in the stated period, in the
viewer's zone, with medians and p90 as PostgreSQL's percentile_cont computes them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from sahayak.analytics import facts, reports
from sahayak.analytics.periods import Period, offset_segments
from sahayak.feedback.models import Survey
from sahayak.knowledge.models import SelfServiceEvent

from ..factories import ContactFactory, TeamFactory, UserFactory
from .timeline import Timeline

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def _solved(day: int, hour: float, frt_min: float, res_min: float, **fields: object) -> Timeline:
    agent = fields.pop("agent", None) or UserFactory()
    t = Timeline(start=MONDAY + timedelta(days=day, hours=hour), **fields)
    t.customer(0)
    t.assign(1, agent)
    t.reply(frt_min, agent)
    t.status(res_min, "open", "solved")
    return t


def _scope(first: date, last: date, zone: str = "UTC", **filters: object) -> reports.Scope:
    return reports.Scope(Period(first, last, zone), **filters)  # type: ignore[arg-type]


def test_headline_figures_count_each_thing_in_its_own_period() -> None:
    """Opened counts by opening, solved and resolution by solving, first response by
    responding: a conversation opened on Sunday and solved on Monday is in both."""
    a = _solved(0, 9, 10, 60)
    b = _solved(0, 10, 20, 120)
    c = _solved(1, 9, 30, 180)
    late = Timeline(start=MONDAY - timedelta(hours=2))  # Sunday 22:00
    late.customer(0)
    late.status(4 * 60, "open", "solved")  # Monday 02:00
    facts.recompute([x.conversation.pk for x in (a, b, c, late)])
    monday = _scope(date(2026, 3, 2), date(2026, 3, 2))
    found = reports.counts(monday)
    assert found["created"] == 2 and found["solved"] == 3
    frt = reports.durations(monday)["first_response"]
    assert (frt["median"], frt["count"]) == (15 * 60, 2)
    # percentile_cont: 10 and 20 minutes -> p90 = 10 + 0.9 * 10 = 19 minutes
    assert frt["p90"] == pytest.approx(19 * 60)
    week = _scope(date(2026, 3, 2), date(2026, 3, 8))
    # 60, 120, 180 and 240 minutes (the late one solved on Monday too)
    assert reports.durations(week)["resolution"]["median"] == 150 * 60


def test_the_day_a_conversation_counts_in_is_the_viewers_day() -> None:
    """19:00 UTC on Monday is already Tuesday 00:30 in Kolkata (UTC+5:30)."""
    t = Timeline(start=MONDAY + timedelta(hours=19))
    t.customer(0)
    facts.recompute([t.conversation.pk])
    kolkata = _scope(date(2026, 3, 2), date(2026, 3, 3), "Asia/Kolkata")
    assert reports.volume_series(kolkata)["created"] == [0.0, 1.0]
    grid = reports.heat_map(kolkata)
    assert grid[1][0] == 1  # Tuesday, hour 0
    utc = _scope(date(2026, 3, 2), date(2026, 3, 3))
    assert reports.volume_series(utc)["created"] == [1.0, 0.0]
    assert reports.heat_map(utc)[0][19] == 1


def test_days_follow_a_dst_change() -> None:
    """In New York, 8 March 2026 is 23 hours long: 04:30 UTC on 9 March is still the 8th."""
    t = Timeline(start=datetime(2026, 3, 9, 3, 30, tzinfo=UTC))
    t.customer(0)
    facts.recompute([t.conversation.pk])
    scope = _scope(date(2026, 3, 7), date(2026, 3, 10), "America/New_York")
    assert reports.volume_series(scope)["created"] == [0.0, 1.0, 0.0, 0.0]
    segments = offset_segments(scope.period.tz, scope.period.start, scope.period.end)
    assert [s[1] for s in segments] == [-5 * 3600, -4 * 3600]


def test_backlog_is_what_is_open_at_the_end_of_each_day() -> None:
    before = Timeline(start=MONDAY - timedelta(days=3))
    before.customer(0)  # still open
    _solved(0, 9, 10, 60)  # opened and solved on Monday
    t = Timeline(start=MONDAY + timedelta(days=1, hours=9))
    t.customer(0)
    t.status(24 * 60, "open", "solved")  # solved Wednesday
    facts.rebuild()
    series = reports.volume_series(_scope(date(2026, 3, 2), date(2026, 3, 4)))
    assert series["backlog"] == [1.0, 2.0, 1.0]


def test_reopen_rate_and_replies_per_resolution() -> None:
    agent = UserFactory()
    t = Timeline(start=MONDAY + timedelta(hours=9))
    t.customer(0)
    t.reply(5, agent)
    t.status(10, "open", "solved")
    t.status(30, "solved", "open")
    t.reply(40, agent)
    t.reply(41, agent)
    t.status(50, "open", "solved")
    facts.recompute([t.conversation.pk])
    found = reports.counts(_scope(date(2026, 3, 2), date(2026, 3, 2)))
    assert found["solved"] == 2 and found["reopened"] == 1 and found["created"] == 1
    assert found["reopen_rate"] == 0.5
    assert found["replies_per_resolution"] == 1.5


def test_repeat_contacts_within_seven_days_and_returns_within_ninety() -> None:
    contact = ContactFactory()
    _solved(0, 9, 5, 10, contact=contact)
    _solved(3, 9, 5, 10, contact=contact)  # back within 7 days
    _solved(0, 11, 5, 10)  # never back
    facts.rebuild()
    found = reports.counts(_scope(date(2026, 3, 2), date(2026, 3, 2)))
    assert found["repeat_7d"] == 0.5
    assert found["first_contact_resolution"] == 0.5
    assert found["return_90d"] == 0.5


def test_csat_nps_and_self_service_rates() -> None:
    t = _solved(0, 9, 5, 10)
    facts.recompute([t.conversation.pk])
    when = MONDAY + timedelta(hours=12)
    for n, score in enumerate((5, 4, 2, 5)):
        Survey.objects.create(
            kind="csat",
            state="answered",
            contact=t.conversation.contact,
            conversation=t.conversation,
            due_at=when + timedelta(minutes=n),
            score=score,
            answered_at=when,
            channel="api",
        )
    for score in (10, 9, 7, 3):
        Survey.objects.create(
            kind="nps",
            state="answered",
            contact=t.conversation.contact,
            due_at=when,
            score=score,
            answered_at=when,
            channel="email",
        )
    for kind in (
        "deflected",
        "deflected",
        "deflected",
        "submitted",
        "bot_resolved",
        "bot_handover",
    ):
        e = SelfServiceEvent.objects.create(kind=kind)
        SelfServiceEvent.objects.filter(pk=e.pk).update(created_at=when)
    found = reports.counts(_scope(date(2026, 3, 2), date(2026, 3, 2)))
    assert found["csat"] == 0.75 and found["csat_answers"] == 4
    assert found["nps"] == 25.0  # 50 % promoters - 25 % detractors
    series = reports.satisfaction_series(_scope(date(2026, 3, 2), date(2026, 3, 2)))
    assert series == {"csat": [75.0], "nps": [25.0]}  # the chart shows CSAT in percent
    assert found["deflection"] == 0.75
    assert found["bot_resolution"] == 0.5


def test_filters_and_breakdowns_by_team_and_agent() -> None:
    red, blue = TeamFactory(), TeamFactory()
    ann, raj = UserFactory(), UserFactory()
    _solved(0, 9, 10, 60, team=red, agent=ann)
    _solved(0, 10, 30, 90, team=red, agent=raj)
    _solved(0, 11, 50, 100, team=blue, agent=raj)
    facts.rebuild()
    monday = _scope(date(2026, 3, 2), date(2026, 3, 2))
    red_only = reports.counts(reports.Scope(monday.period, teams=(red.pk,)))
    assert red_only["created"] == 2
    by_team = reports.breakdown(monday, "team")
    assert by_team[red.pk]["created"] == 2 and by_team[blue.pk]["solved"] == 1
    assert by_team[red.pk]["first_response_median"] == 20 * 60
    by_agent = reports.breakdown(monday, "agent")
    assert by_agent[raj.pk]["solved"] == 2 and by_agent[ann.pk]["solved"] == 1


def test_weekly_points_beyond_three_months() -> None:
    period = Period(date(2026, 1, 5), date(2026, 6, 30))
    assert period.step == 7
    assert len(reports.labels(period)) == 26


def test_median_series_per_day_and_totals_agree() -> None:
    """The chart's daily medians and the headline come from the same definitions."""
    _solved(0, 9, 10, 60)
    _solved(0, 10, 30, 90)
    _solved(2, 9, 20, 40)
    facts.rebuild()
    scope = _scope(date(2026, 3, 2), date(2026, 3, 4))
    assert reports.median_series(scope, "first_response") == [20 * 60, None, 20 * 60]
    assert reports.median_series(scope, "resolution") == [75 * 60, None, 40 * 60]
    figures = reports.durations(scope)
    assert figures["first_response"]["median"] == 20 * 60
    assert figures["resolution"]["p90"] == pytest.approx((60 + 0.8 * 30) * 60)
    assert figures["next_response"]["count"] == 0 and figures["next_response"]["median"] is None


def test_the_previous_periods_headline_matches_its_own_report() -> None:
    """The overview's comparison figures are the previous period's own figures."""
    from sahayak.analytics import dashboard

    _solved(0, 9, 10, 60)
    _solved(7, 9, 30, 90)
    facts.rebuild()
    week2 = _scope(date(2026, 3, 9), date(2026, 3, 15))
    data = dashboard.overview(week2)
    week1 = dashboard.headline(week2.previous())
    assert data["previous"]["first_response"] == week1["first_response"]
    assert data["previous"]["first_response"]["median"] == 10 * 60
    assert data["figures"]["first_response"]["median"] == 30 * 60
