"""Holidays are imported from iCalendar files: yearly rules, multi-day events, one-off
days; timed events and broken files are handled, not imported as days off."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from sahayak.routing.calendars import BusinessCalendar, add_business_time
from sahayak.routing.holidays import HolidayFileError, read_holidays

ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Example//Holidays//EN\r
BEGIN:VEVENT\r
UID:1@example\r
DTSTART;VALUE=DATE:20260126\r
RRULE:FREQ=YEARLY\r
SUMMARY:Republic Day\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:2@example\r
DTSTART;VALUE=DATE:20261221\r
DTEND;VALUE=DATE:20261226\r
SUMMARY:\xce\x9a\xce\xbb\xce\xb5\xce\xb9\xcf\x83\xcf\x84\xce\xac\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:3@example\r
DTSTART;VALUE=DATE:20261102\r
SUMMARY:Diwali (observed)\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:4@example\r
DTSTART:20261103T100000Z\r
DTEND:20261103T110000Z\r
SUMMARY:Team meeting\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_yearly_multi_day_and_one_off_holidays_are_read() -> None:
    found = read_holidays(ICS)
    assert found.yearly == {(1, 26)}
    assert found.dates == {date(2026, 12, d) for d in range(21, 26)} | {date(2026, 11, 2)}
    assert found.names["2026-12-21"] == "Κλειστά" and found.names["01-26"] == "Republic Day"
    assert found.skipped == 1  # the meeting is not a day off
    calendar = BusinessCalendar(
        "Asia/Kolkata",
        {d: ((time(9), time(17)),) for d in range(5)},
        holidays=frozenset(found.dates),
        yearly_holidays=frozenset(found.yearly),
    )
    friday = datetime(2026, 12, 18, 16, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
    assert add_business_time(calendar, friday, timedelta(hours=2)) == datetime(
        2026, 12, 28, 10, 0, tzinfo=ZoneInfo("Asia/Kolkata")
    )


def test_a_broken_file_is_refused_with_a_reason() -> None:
    with pytest.raises(HolidayFileError):
        read_holidays(b"this is not a calendar")
    with pytest.raises(HolidayFileError, match="2 MB"):
        read_holidays(b"x" * (3 * 1024 * 1024))
