"""Sending surveys: CSAT after a solve (per the inbox's settings), by hand, and NPS
campaigns to a segment at a limited rate.

A survey is a row first (``pending``, with the moment it is due) and is sent by the
worker's periodic job, which checks again at sending time whether it should go: the
conversation may have been reopened, tagged, or its customer asked already.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sahayak.contacts.models import Contact, Identity
from sahayak.conversations import services
from sahayak.conversations.models import Conversation, Status
from sahayak.conversations.services import ConversationError

from . import surveys
from .models import Campaign, Kind, State, Survey, SurveySettings

logger = logging.getLogger(__name__)

BATCH = 200


def settings_of(inbox_id: int) -> SurveySettings:
    """The inbox's survey settings (unsaved defaults, survey off, if none were saved)."""
    found = SurveySettings.objects.filter(inbox_id=inbox_id).first()
    return found or SurveySettings(inbox_id=inbox_id, enabled=False)


def _language(contact: Contact, conversation: Conversation | None) -> str:
    return (
        contact.locale or (conversation.language if conversation else "") or settings.LANGUAGE_CODE
    )


def schedule_csat(conversation: Conversation) -> Survey | None:
    """After a solve: a pending CSAT survey, if the inbox asks for one."""
    chosen = settings_of(conversation.inbox_id)
    if not chosen.enabled or conversation.solved_at is None:
        return None
    due = conversation.solved_at + timedelta(minutes=chosen.delay_minutes)
    try:
        with transaction.atomic():
            survey, _created = Survey.objects.get_or_create(
                kind=Kind.CSAT,
                conversation=conversation,
                due_at=due,
                defaults=_csat_fields(conversation),
            )
    except IntegrityError:  # the same solve heard twice
        return None
    return survey


def _csat_fields(conversation: Conversation) -> dict[str, Any]:
    return {
        "contact_id": conversation.contact_id,
        "channel": conversation.channel,
        "language": _language(conversation.contact, conversation),
        "inbox_id": conversation.inbox_id,
        "team_id": conversation.team_id,
        "agent_id": conversation.assignee_id,
    }


def request_csat(conversation: Conversation) -> Survey:
    """An agent's (or the API's) request: sent now, whatever the inbox's settings; still
    only where the customer can be reached."""
    survey = Survey.objects.create(
        kind=Kind.CSAT,
        conversation=conversation,
        due_at=timezone.now(),
        **_csat_fields(conversation),
    )
    reason = _send_one(survey.pk, by_hand=True)
    survey.refresh_from_db()
    if survey.state != State.SENT:
        raise surveys.SurveyError(skip_reasons().get(reason, reason))
    return survey


def skip_reasons() -> dict[str, str]:
    return {
        "reopened": _("The conversation is open again."),
        "tag": _("The conversation is tagged to get no survey."),
        "recent": _("The customer was asked recently."),
        "unreachable": _("No channel can reach this customer now."),
        "disabled": _("Surveys are off for this inbox."),
        "no_email": _("The customer has no email address."),
    }


def send_due(limit: int = BATCH) -> int:
    """Send (or set aside) the surveys whose time has come; how many were handled."""
    ids = list(
        Survey.objects.filter(state=State.PENDING, due_at__lte=timezone.now())
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    for pk in ids:
        try:
            _send_one(pk)
        except Exception:
            logger.exception("survey %s could not be sent", pk)
    return len(ids)


def _send_one(pk: int, *, by_hand: bool = False) -> str:
    """Send one pending survey; returns "" when sent, else why it was not."""
    with transaction.atomic():
        survey = (
            Survey.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("conversation", "contact")
            .filter(pk=pk, state=State.PENDING)
            .first()
        )
        if survey is None:
            return "gone"
        reason = _why_not(survey, by_hand)
        if not reason:
            reason = _deliver(survey)
        if reason:
            survey.state, survey.skip_reason = State.SKIPPED, reason
            survey.save(update_fields=["state", "skip_reason"])
            return reason
        now = timezone.now()
        survey.state, survey.sent_at = State.SENT, now
        survey.open_until = now + surveys.open_for()
        survey.save(update_fields=["state", "sent_at", "open_until", "message"])
        return ""


def _why_not(survey: Survey, by_hand: bool) -> str:
    conversation = survey.conversation
    if survey.kind == Kind.NPS:
        return "" if survey.address else "no_email"
    assert conversation is not None
    if by_hand:
        return ""
    if conversation.status not in (Status.SOLVED, Status.CLOSED):
        return "reopened"
    chosen = settings_of(conversation.inbox_id)
    if not chosen.enabled:
        return "disabled"
    if chosen.skip_tag and conversation.tags.filter(name=chosen.skip_tag).exists():
        return "tag"
    since = timezone.now() - timedelta(days=chosen.once_per_days)
    asked = Survey.objects.filter(
        contact_id=survey.contact_id, kind=Kind.CSAT, sent_at__gte=since
    ).exists()
    return "recent" if chosen.once_per_days and asked else ""


def _deliver(survey: Survey) -> str:
    if survey.kind == Kind.NPS:
        _send_nps(survey)
        return ""
    conversation = survey.conversation
    assert conversation is not None
    try:
        channel = services.check_reply_channel(conversation, conversation.channel)
    except ConversationError:
        return "unreachable"
    if services.window_closed(conversation, channel):
        return "unreachable"
    with translation.override(survey.language or settings.LANGUAGE_CODE):
        context = _context(survey)
        text = render_to_string("feedback/csat_message.txt", context).strip()
        html = render_to_string("feedback/csat_message.html", context)
        subject = _("How did we do?")
    survey.message = services.send_automatic(
        conversation=conversation,
        text=text,
        html=html,
        kind="csat",
        subject=subject,
        extra={"survey": surveys.link(survey)},
    )
    return ""


def _context(survey: Survey) -> dict[str, Any]:
    return {
        "survey": survey,
        "name": survey.contact.name,
        "link": surveys.link(survey),
        "choices": [(n, surveys.link(survey, n)) for n in surveys.scale(survey.kind)],
        "subject": survey.conversation.subject if survey.conversation else "",
    }


def _send_nps(survey: Survey) -> None:
    from sahayak.integrations.outbox import enqueue_email

    with translation.override(survey.language or settings.LANGUAGE_CODE):
        text = render_to_string("feedback/nps_message.txt", _context(survey)).strip()
        subject = _("How likely are you to recommend us?")
    enqueue_email(survey.address, subject, text, source="nps", key=f"survey-{survey.pk}")


def start_campaign(campaign: Campaign) -> int:
    """Queue the campaign's surveys: one per customer in its segment with an email address,
    due one after another at the campaign's rate. Starting twice adds nobody twice."""
    now = timezone.now()
    emails = Identity.objects.filter(kind="email", opted_out_at__isnull=True)
    if campaign.ordered_within_days:
        since = now - timedelta(days=campaign.ordered_within_days)
        emails = emails.filter(contact__orders__ordered_at__gte=since)
    asked = set(Survey.objects.filter(campaign=campaign).values_list("contact_id", flat=True))
    step = 3600 / max(1, campaign.per_hour)
    created, seen = 0, set(asked)
    rows = emails.order_by("contact_id", "id").values_list(
        "contact_id", "address", "contact__locale"
    )
    batch: list[Survey] = []
    for contact_id, address, locale in rows.iterator(chunk_size=2000):
        if contact_id in seen:
            continue
        seen.add(contact_id)
        batch.append(
            Survey(
                kind=Kind.NPS,
                campaign=campaign,
                contact_id=contact_id,
                channel="email",
                address=address,
                language=locale or settings.LANGUAGE_CODE,
                due_at=now + timedelta(seconds=step * created),
            )
        )
        created += 1
        if len(batch) >= 1000:
            Survey.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    Survey.objects.bulk_create(batch, ignore_conflicts=True)
    if campaign.started_at is None:
        campaign.started_at = now
        campaign.save(update_fields=["started_at"])
    return created
