"""Business-time arithmetic: a table of hand-computed cases (weekends, holidays, a night
shift past midnight, DST changes in Europe/Athens, Europe/Paris and America/New_York,
Asia/Kolkata and Asia/Dhaka), and several hundred random cases checked against an
independent minute-by-minute reading of the same calendars on the wall clock."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sahayak.routing.calendars import (
    ALWAYS,
    BusinessCalendar,
    NeverOpen,
    add_business_time,
    business_time_between,
    intervals_of_day,
    is_open,
    next_open,
    shared,
)

H = timedelta(hours=1)
M = timedelta(minutes=1)


def weekly(days: range | tuple[int, ...], *spans: tuple[str, str]) -> dict:
    parsed = tuple((time.fromisoformat(a), time.fromisoformat(b)) for a, b in spans)
    return {d: parsed for d in days}


def office(zone: str, **kw: object) -> BusinessCalendar:
    return BusinessCalendar(zone, weekly(range(5), ("09:00", "17:00")), **kw)  # type: ignore[arg-type]


NIGHT = BusinessCalendar("Europe/Paris", weekly(range(5), ("21:00", "02:00")))
NIGHT_DAILY_PARIS = BusinessCalendar("Europe/Paris", weekly(range(7), ("21:00", "02:00")))
EARLY_NY = BusinessCalendar("America/New_York", weekly(range(7), ("01:00", "05:00")))
EARLY_PARIS = BusinessCalendar("Europe/Paris", weekly(range(7), ("01:00", "05:00")))
EARLY_ATHENS = BusinessCalendar("Europe/Athens", weekly(range(7), ("00:00", "06:00")))
GAP_PARIS = BusinessCalendar("Europe/Paris", weekly(range(7), ("02:30", "06:00")))
DHAKA = BusinessCalendar("Asia/Dhaka", weekly((6, 0, 1, 2, 3), ("09:00", "17:00")))
INDIA = office("Asia/Kolkata", yearly_holidays=frozenset({(1, 26), (8, 15)}))
CHRISTMAS_WEEK = office(
    "Europe/Athens", holidays=frozenset(date(2026, 12, d) for d in range(21, 26))
)
SPLIT = BusinessCalendar("Europe/Athens", weekly(range(5), ("09:00", "13:00"), ("14:00", "18:00")))
HOLIDAY_TUESDAY_NIGHT = BusinessCalendar(
    "Europe/Paris", weekly(range(5), ("21:00", "02:00")), holidays=frozenset({date(2026, 12, 1)})
)

ZONES = ["UTC", "Asia/Kolkata", "Asia/Dhaka", "Europe/Athens", "Europe/Paris", "America/New_York"]


def at(calendar: BusinessCalendar, text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(calendar.time_zone))


TABLE = [
    # (calendar, start (local), duration, expected (local, or with its offset))
    *[(office(z), "2026-11-27 16:30", H, "2026-11-30 09:30") for z in ZONES],  # Fri + 1 h
    *[(office(z), "2026-11-30 08:00", H, "2026-11-30 10:00") for z in ZONES],  # before opening
    *[(office(z), "2026-11-30 17:00", timedelta(0), "2026-12-01 09:00") for z in ZONES],
    *[(office(z), "2026-12-02 12:00", 8 * H, "2026-12-03 12:00") for z in ZONES],
    *[(office(z), "2026-11-28 10:00", 30 * M, "2026-11-30 09:30") for z in ZONES],  # Saturday
    *[(office(z), "2026-11-30 09:00", 40 * H, "2026-12-04 17:00") for z in ZONES],  # to the end
    *[(office(z), "2026-11-30 09:00", 40 * H + M, "2026-12-07 09:01") for z in ZONES],
    (INDIA, "2027-01-25 16:00", 2 * H, "2027-01-27 10:00"),  # Republic Day, yearly
    (INDIA, "2026-08-14 16:00", 2 * H, "2026-08-17 10:00"),  # Independence Day (Saturday)
    (INDIA, "2030-08-14 16:00", 2 * H, "2030-08-16 10:00"),  # ... on a Thursday
    (CHRISTMAS_WEEK, "2026-12-18 16:00", 2 * H, "2026-12-28 10:00"),
    (CHRISTMAS_WEEK, "2026-12-22 11:00", H, "2026-12-28 10:00"),
    (CHRISTMAS_WEEK, "2026-12-18 09:00", 16 * H, "2026-12-28 17:00"),
    (NIGHT, "2026-11-30 20:00", H, "2026-11-30 22:00"),
    (NIGHT, "2026-11-30 23:00", 4 * H, "2026-12-01 22:00"),
    (NIGHT, "2026-12-01 01:00", 30 * M, "2026-12-01 01:30"),  # Monday's shift, on Tuesday
    (NIGHT, "2026-12-04 23:00", 4 * H, "2026-12-07 22:00"),  # Friday night into Monday
    (NIGHT, "2026-12-05 01:30", H, "2026-12-07 21:30"),  # Saturday 01:30: Friday's shift
    (HOLIDAY_TUESDAY_NIGHT, "2026-11-30 23:00", 4 * H, "2026-12-02 22:00"),
    (HOLIDAY_TUESDAY_NIGHT, "2026-12-01 01:00", H, "2026-12-01 02:00"),  # Monday's still runs
    (SPLIT, "2026-11-30 12:30", H, "2026-11-30 14:30"),  # over lunch
    (SPLIT, "2026-11-30 13:30", timedelta(0), "2026-11-30 14:00"),
    (DHAKA, "2026-12-03 16:30", H, "2026-12-06 09:30"),  # Thursday -> Sunday
    (DHAKA, "2026-12-04 10:00", H, "2026-12-06 10:00"),  # Friday is the weekend
    # DST: Paris springs forward on 2026-03-29 at 02:00 (the shift ends when the clock jumps)
    (NIGHT_DAILY_PARIS, "2026-03-28 21:00", 4 * H, "2026-03-29 01:00+01:00"),
    (NIGHT_DAILY_PARIS, "2026-03-28 21:00", 5 * H, "2026-03-29 03:00+02:00"),
    (NIGHT_DAILY_PARIS, "2026-03-28 21:00", 6 * H, "2026-03-29 22:00+02:00"),
    (EARLY_PARIS, "2026-03-29 01:00", 3 * H, "2026-03-29 05:00+02:00"),
    # 02:30 does not exist that night: the team opens when the clock jumps to 03:00
    (GAP_PARIS, "2026-03-29 00:00", timedelta(0), "2026-03-29 03:00+02:00"),
    (GAP_PARIS, "2026-03-29 00:00", H, "2026-03-29 04:00+02:00"),
    (GAP_PARIS, "2026-03-28 00:00", H, "2026-03-28 03:30+01:00"),
    (EARLY_PARIS, "2026-03-29 01:00", 3 * H + M, "2026-03-30 01:01+02:00"),
    # Paris falls back on 2026-10-25 at 03:00: 01:00-05:00 lasts five hours
    (EARLY_PARIS, "2026-10-25 01:00", 4 * H + 30 * M, "2026-10-25 04:30+01:00"),
    (EARLY_PARIS, "2026-10-25 01:00", 5 * H, "2026-10-25 05:00+01:00"),
    (NIGHT_DAILY_PARIS, "2026-10-24 21:00", 5 * H, "2026-10-25 02:00+02:00"),
    # New York: 2026-03-08 springs forward at 02:00, 2026-11-01 falls back at 02:00
    (EARLY_NY, "2026-03-08 01:00", 3 * H, "2026-03-08 05:00-04:00"),
    (EARLY_NY, "2026-03-08 01:00", 3 * H + M, "2026-03-09 01:01-04:00"),
    (EARLY_NY, "2026-11-01 01:00", 5 * H, "2026-11-01 05:00-05:00"),
    (EARLY_NY, "2026-11-01 01:00", 4 * H, "2026-11-01 04:00-05:00"),
    (office("America/New_York"), "2026-03-06 16:30", H, "2026-03-09 09:30-04:00"),
    (office("America/New_York"), "2026-10-30 16:30", H, "2026-11-02 09:30-05:00"),
    # Athens springs forward on 2026-03-29 at 03:00, falls back on 2026-10-25 at 04:00
    (EARLY_ATHENS, "2026-03-29 00:00", 5 * H, "2026-03-29 06:00+03:00"),
    (EARLY_ATHENS, "2026-10-25 00:00", 7 * H, "2026-10-25 06:00+02:00"),
    (EARLY_ATHENS, "2026-10-25 00:00", 3 * H + 30 * M, "2026-10-25 03:30+03:00"),
    (EARLY_ATHENS, "2026-10-25 00:00", 4 * H + 30 * M, "2026-10-25 03:30+02:00"),
    (office("Europe/Athens"), "2026-03-27 16:30", H, "2026-03-30 09:30+03:00"),
    (office("Asia/Kolkata"), "2026-11-27 16:30", 10 * M, "2026-11-27 16:40+05:30"),
]


@pytest.mark.parametrize(("calendar", "start", "duration", "expected"), TABLE)
def test_business_time_table(
    calendar: BusinessCalendar, start: str, duration: timedelta, expected: str
) -> None:
    begin = at(calendar, start)
    want = datetime.fromisoformat(expected)
    if want.tzinfo is None:
        want = want.replace(tzinfo=ZoneInfo(calendar.time_zone))
    got = add_business_time(calendar, begin, duration)
    assert got == want, f"{got.astimezone(ZoneInfo(calendar.time_zone))} != {want}"
    if duration:  # the same span measured back
        assert business_time_between(calendar, begin, got) == duration


def test_open_and_next_open() -> None:
    cal = office("Asia/Kolkata")
    assert is_open(cal, at(cal, "2026-11-30 09:00"))
    assert not is_open(cal, at(cal, "2026-11-30 17:00"))
    assert next_open(cal, at(cal, "2026-11-28 12:00")) == at(cal, "2026-11-30 09:00")
    assert is_open(NIGHT, at(NIGHT, "2026-12-05 01:59"))  # Friday's shift on Saturday
    assert not is_open(NIGHT, at(NIGHT, "2026-12-05 02:00"))
    moment = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert add_business_time(ALWAYS, moment, 30 * H) == moment + 30 * H


def test_a_calendar_that_never_opens_says_so_and_naive_times_are_refused() -> None:
    never = BusinessCalendar("UTC", {})
    with pytest.raises(NeverOpen):
        add_business_time(never, datetime(2026, 1, 1, tzinfo=UTC), H)
    with pytest.raises(ValueError, match="aware"):
        add_business_time(office("UTC"), datetime(2026, 1, 1), H)


# --- random cases against an independent wall-clock reading -------------------------------


def wall_open(calendar: BusinessCalendar, moment: datetime) -> bool:
    """Minute-level truth from the local wall clock, without the module's intervals."""
    local = moment.astimezone(ZoneInfo(calendar.time_zone))
    today, clock = local.date(), local.time().replace(tzinfo=None)
    yesterday = today - timedelta(days=1)
    if not calendar.is_holiday(today):
        for start, end in calendar.weekly.get(today.weekday(), ()):
            if (start <= clock < end) if end > start else clock >= start:
                return True
    if not calendar.is_holiday(yesterday):
        for start, end in calendar.weekly.get(yesterday.weekday(), ()):
            if end <= start and clock < end:
                return True
    return False


RANDOM_CALENDARS = [
    *(office(z) for z in ZONES),
    NIGHT,
    NIGHT_DAILY_PARIS,
    EARLY_NY,
    EARLY_ATHENS,
    DHAKA,
    INDIA,
    CHRISTMAS_WEEK,
    SPLIT,
]
# Around the DST changes of 2026 and ordinary weeks.
DAYS = [date(2026, 3, 6), date(2026, 3, 27), date(2026, 10, 23), date(2026, 10, 30)]
DAYS += [date(2026, 12, 18), date(2026, 1, 23), date(2026, 8, 13), date(2026, 6, 10)]


def random_cases(count: int) -> list[tuple[BusinessCalendar, datetime, int]]:
    rng = random.Random(16)
    cases = []
    for _ in range(count):
        calendar = rng.choice(RANDOM_CALENDARS)
        day = rng.choice(DAYS) + timedelta(days=rng.randint(0, 3))
        minute = rng.randrange(0, 24 * 60)
        local = datetime.combine(day, time(minute // 60, minute % 60))
        start = local.replace(tzinfo=ZoneInfo(calendar.time_zone)).astimezone(UTC)
        cases.append((calendar, start, rng.randint(0, 6 * 60)))
    return cases


@pytest.mark.parametrize(("calendar", "start", "minutes"), random_cases(240))
def test_random_cases_agree_with_the_wall_clock(
    calendar: BusinessCalendar, start: datetime, minutes: int
) -> None:
    # The wall clock's answer: walk minute by minute, counting open minutes.
    cursor, counted = start, 0
    while True:
        if wall_open(calendar, cursor):
            if counted == minutes:
                break
            counted += 1
        elif counted == minutes and minutes:
            break
        cursor += M
    expected = cursor
    assert add_business_time(calendar, start, minutes * M) == expected
    assert business_time_between(calendar, start, expected) == minutes * M
    assert is_open(calendar, start) == wall_open(calendar, start)


# --- the ledger: one calendar asked about years in any order -------------------------------


def day_by_day_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Open time by summing each local day's intervals: no ledger, no running totals."""
    total = timedelta(0)
    zone = ZoneInfo(calendar.time_zone)
    day = start.astimezone(zone).date() - timedelta(days=1)
    while day <= end.astimezone(zone).date():
        for begin, finish in intervals_of_day(calendar, day):
            total += max(timedelta(0), min(finish, end) - max(begin, start))
        day += timedelta(days=1)
    return total


@pytest.mark.parametrize("calendar", [INDIA, NIGHT, EARLY_ATHENS, CHRISTMAS_WEEK])
def test_one_calendar_asked_across_years_in_any_order_agrees_day_by_day(
    calendar: BusinessCalendar,
) -> None:
    # A fresh copy: its running totals start empty, then grow back and forth.
    fresh = BusinessCalendar(
        calendar.time_zone, calendar.weekly, calendar.holidays, calendar.yearly_holidays
    )
    rng = random.Random(42)
    base = datetime(2024, 1, 1, tzinfo=UTC)
    # Far forward (more than one walk's horizon), far back, then anywhere.
    minutes = [0, 5 * 366 * 24 * 60, 400 * 24 * 60]
    minutes += [rng.randrange(0, 5 * 366 * 24 * 60) for _ in range(60)]
    for offset in minutes:
        start = base + timedelta(minutes=offset)
        span = timedelta(minutes=rng.randrange(1, 30 * 24 * 60))
        measured = business_time_between(fresh, start, start + span)
        assert measured == day_by_day_between(calendar, start, start + span)
        if measured:
            assert add_business_time(fresh, start, measured) <= start + span
            assert (
                business_time_between(fresh, start, add_business_time(fresh, start, measured))
                == measured
            )


def test_equal_calendars_share_their_running_totals() -> None:
    one = shared(BusinessCalendar("Asia/Dhaka", weekly(range(5), ("10:00", "18:00"))))
    two = shared(BusinessCalendar("Asia/Dhaka", weekly(range(5), ("10:00", "18:00"))))
    other = shared(BusinessCalendar("Asia/Dhaka", weekly(range(6), ("10:00", "18:00"))))
    assert one is two and one is not other
