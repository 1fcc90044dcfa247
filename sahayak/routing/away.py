"""Out-of-office replies: a customer who writes while the team is closed is told, in their
language, when the team is back (in the customer's own time zone).

Sent at most once per conversation in ``QUIET`` (a customer writing three times at night
gets one reply), never to spam, automated mail or a sender whose address failed its checks
(a channel marks those in its metadata section as ``automated`` / ``unverified_sender``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time, get_timezone_name
from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sahayak.conversations.inbound import doubtful_sender
from sahayak.conversations.models import Conversation, Message, Status
from sahayak.conversations.services import send_automatic
from sahayak.language.romanise import in_customer_script

from . import config
from .calendars import NeverOpen, is_open, next_open
from .models import Calendar

KIND = "out_of_office"
QUIET = timedelta(hours=12)


def calendar_of(conversation: Conversation) -> Calendar | None:
    """The business hours of the conversation's inbox, else of its team."""
    snapshot = config.current()
    policy = snapshot.policy_of_inbox(conversation.inbox_id)
    if (policy is None or policy.calendar_id is None) and conversation.team_id:
        policy = snapshot.policy_of_team(conversation.team_id)
    if policy is None or policy.calendar_id is None:
        return None
    return snapshot.calendars.get(policy.calendar_id)


def _zone(name: str, fallback: str) -> ZoneInfo:
    for candidate in (name, fallback):
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return ZoneInfo("UTC")


def when_back(moment: datetime, locale: str) -> str:
    """ "vendredi 4 décembre 2026 13:30 (heure de l’Inde)": date, time and zone in words."""
    try:
        date_part = format_date(moment, "full", locale=locale)
    except (ValueError, LookupError):
        locale = "en"
        date_part = format_date(moment, "full", locale=locale)
    return f"{date_part} {format_time(moment, 'short', locale=locale)} ({get_timezone_name(moment, locale=locale)})"


def away_text(calendar: Calendar, language: str, opens: datetime, zone: ZoneInfo) -> str:
    """The reply in ``language``: the calendar's own text for it, or the built-in one."""
    locale = language.split("-")[0] or settings.LANGUAGE_CODE
    when = when_back(opens.astimezone(zone), locale)
    own = (
        calendar.away_messages.get(language)
        or calendar.away_messages.get(locale)
        or calendar.away_messages.get("*")
    )
    if own:
        return own.replace("{opens}", when)
    with translation.override(locale):
        return _(
            "Thank you for your message. We are closed right now and back on %(opens)s; we will answer you then."
        ) % {"opens": when}


def reply_if_closed(
    conversation: Conversation, message: Message, now: datetime | None = None
) -> Message | None:
    """Send the out-of-office reply if the team is closed now; the reply, or None."""
    now = now or timezone.now()
    if conversation.status == Status.SPAM or doubtful_sender(message.metadata):
        return None
    calendar = calendar_of(conversation)
    if calendar is None or not calendar.away_reply:
        return None
    hours = calendar.business_calendar()
    if is_open(hours, now):
        return None
    try:
        opens = next_open(hours, now)
    except NeverOpen:
        return None
    # A transaction only when there may be something to send (on SQLite, opening one takes
    # the database's write lock).
    with transaction.atomic():
        already = Message.objects.filter(
            conversation=conversation, metadata__automatic=KIND, created_at__gte=now - QUIET
        ).exists()
        if already:
            return None
        contact = conversation.contact
        language = conversation.language or contact.locale or settings.LANGUAGE_CODE
        text = away_text(calendar, language, opens, _zone(contact.time_zone, calendar.time_zone))
        text = in_customer_script(text, language, message.text)
        return send_automatic(conversation=conversation, text=text, kind=KIND)
