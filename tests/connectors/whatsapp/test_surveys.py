"""The satisfaction survey on WhatsApp: sent as text with the answer link while the
24-hour window is open, in the customer's language; held back once it has closed (free
text would be refused)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from sahayak.conversations.delivery import deliver
from sahayak.conversations.models import DeliveryStatus, Message
from sahayak.conversations.services import set_status
from sahayak.feedback import sending
from sahayak.feedback.models import Survey, SurveySettings

from .conftest import post_webhook
from .fake import envelope, text

pytestmark = pytest.mark.django_db


def _solved(client: Any, inbox: Any, admin: Any, wamid: str, django_capture: Any) -> Any:
    SurveySettings.objects.get_or_create(inbox=inbox, defaults={"enabled": True})
    post_webhook(client, inbox, envelope([text(wamid, "Ma commande est arrivée, merci")]))
    conversation = Message.objects.get(external_id=wamid).conversation
    with django_capture(execute=True):
        set_status(conversation=conversation, status="solved", actor=admin)
    return conversation


def test_the_survey_goes_out_as_text_with_its_link_inside_the_window(
    client, inbox, fake, admin, django_capture_on_commit_callbacks
):
    conversation = _solved(client, inbox, admin, "wamid.s1", django_capture_on_commit_callbacks)
    assert sending.send_due() == 1
    message = Message.objects.get(conversation=conversation, metadata__automatic="csat")
    assert deliver(message.pk) == DeliveryStatus.SENT
    (sent,) = [r.json() for r in fake.calls("POST", r"/v21\.0/\d+/messages")]
    body = sent["text"]["body"]
    assert sent["type"] == "text" and "/survey/" in body
    assert "Choisissez" in body  # the customer wrote in French
    assert Survey.objects.get(conversation=conversation).state == "sent"


def test_the_survey_is_held_back_once_the_window_has_closed(
    client, inbox, fake, admin, django_capture_on_commit_callbacks
):
    conversation = _solved(client, inbox, admin, "wamid.s2", django_capture_on_commit_callbacks)
    Message.objects.filter(conversation=conversation).update(
        created_at=timezone.now() - timedelta(hours=30)
    )
    sending.send_due()
    survey = Survey.objects.get(conversation=conversation)
    assert (survey.state, survey.skip_reason) == ("skipped", "unreachable")
    assert not Message.objects.filter(conversation=conversation, metadata__automatic="csat")
