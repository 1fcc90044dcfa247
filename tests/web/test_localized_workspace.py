"""What the workspace writes in words follows the agent's language: waiting times, order
statuses, why a reply failed; and time zones are picked by searching, in that language."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from sahayak.conversations.delivery import _fail
from sahayak.conversations.models import DeliveryStatus, Direction
from sahayak.web.durations import duration
from sahayak.web.templatetags.workspace import delivery_reason, order_status
from tests.factories import ConversationFactory, MessageFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "locale,expected",
    [
        ("en", "3 weeks, 6 days"),
        ("hi", "3 सप्ताह और 6 दिन"),
        ("bn", "3 সপ্তাহ, 6 দিন"),
        ("el", "3 εβδομάδες, 6 ημέρες"),
        ("fr", "3\xa0semaines et 6\xa0jours"),
    ],
)
def test_durations_are_written_in_each_language(locale, expected):
    assert duration(27 * 86400 + 3 * 3600, locale=locale) == expected


def test_durations_keep_the_two_largest_adjacent_units():
    assert duration(3900, locale="en") == "1 hour, 5 minutes"
    assert duration(31 * 86400 + 180, locale="en") == "1 month, 1 day"
    assert duration(30 * 86400 + 180, locale="en") == "1 month"  # minutes are too fine
    assert duration(86400 + 7200 + 60, locale="en") == "1 day, 2 hours"
    with translation.override("en"):
        assert duration(20) == "less than a minute"


def test_the_inbox_shows_waiting_time_in_the_agents_language(web, admin):
    admin.locale = "hi"
    admin.save()
    ConversationFactory(waiting_since=timezone.now() - timedelta(days=27, hours=1))
    body = web.get("/?view=all", HTTP_ACCEPT_LANGUAGE="hi").content.decode()
    assert "3 सप्ताह और 6 दिन" in body


def test_order_statuses_from_shops_are_translated_and_unknown_ones_kept():
    with translation.override("fr"):
        assert order_status("shipped") == "Expédiée"
        assert order_status("Out for delivery") == "En cours de livraison"
        assert order_status("awaiting-courier") == "awaiting-courier"


def test_a_failure_reason_of_ours_is_shown_in_the_agents_language():
    message = MessageFactory(
        conversation=ConversationFactory(),
        direction=Direction.OUTBOUND,
        delivery_status=DeliveryStatus.SENDING,
        delivery_attempts=1,
    )
    _fail(
        message,
        "The webhook answered HTTP 404.",
        permanent=True,
        template=("The webhook answered HTTP %(status)s.", {"status": "404"}),
    )
    message.refresh_from_db()
    assert message.delivery_error == "The webhook answered HTTP 404."
    with translation.override("hi"):
        shown = delivery_reason(message)
    assert "404" in shown and "webhook answered" not in shown


def test_a_fixed_failure_reason_is_translated_too():
    message = MessageFactory(delivery_error="The customer has no email address.")
    with translation.override("el"):
        assert delivery_reason(message) != "The customer has no email address."
    message.delivery_error = "SMTP 550: mailbox unavailable"  # the far end's words: as they are
    with translation.override("el"):
        assert delivery_reason(message) == "SMTP 550: mailbox unavailable"


def test_time_zone_suggestions_are_named_in_the_viewers_language(web, admin):
    admin.locale = "hi"
    admin.save()
    zones = web.get("/time-zones.json", HTTP_ACCEPT_LANGUAGE="hi").json()["zones"]
    kolkata = next(z for z in zones if z["id"] == "Asia/Kolkata")
    assert "कोलकाता" in kolkata["label"] and "UTC+05:30" in kolkata["label"]
    assert len(zones) > 300


def test_the_profile_page_carries_no_time_zone_list_and_refuses_an_unknown_zone(web, admin):
    body = web.get("/profile/").content.decode()
    assert body.count("<option") < 50  # the zones come from /time-zones.json when needed
    form = {"first_name": "A", "last_name": "B", "locale": "en", "time_zone": "Mars/Olympus"}
    body = web.post("/profile/", form).content.decode()
    assert "is not a time zone" in body
    web.post("/profile/", {**form, "time_zone": "Asia/Kolkata"})
    admin.refresh_from_db()
    assert admin.time_zone == "Asia/Kolkata"
