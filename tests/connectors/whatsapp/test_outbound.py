"""Replies to WhatsApp through the Cloud API: text, files and templates; 429 is retried
no sooner than Retry-After, 4xx fails for good with WhatsApp's reason; the 24-hour
window refuses free text and takes an approved template in the customer's language."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from sahayak.connectors.whatsapp import templates
from sahayak.connectors.whatsapp.models import MessageTemplate
from sahayak.conversations import channels
from sahayak.conversations.delivery import deliver
from sahayak.conversations.models import Attachment, Conversation, DeliveryStatus, Message
from sahayak.conversations.services import ConversationError, reply, window_closes_at
from tests.connectors.contract import ChannelContract
from tests.connectors.fakes import Answer

from .conftest import post_webhook
from .fake import envelope, error, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(client: Any, inbox: Any) -> Conversation:
    post_webhook(client, inbox, envelope([text("wamid.start", "Bonjour, ma commande ?")]))
    return Message.objects.get(external_id="wamid.start").conversation


def _sends(fake: Any) -> list[dict[str, Any]]:
    return [r.json() for r in fake.calls("POST", r"/v21\.0/\d+/messages")]


class TestWhatsAppContract(ChannelContract):
    kind = "whatsapp"

    def send_inbound(self, client, conversation, external_id):
        return post_webhook(client, conversation.inbox, envelope([text(external_id, "again")]))

    def send_bad_inbound(self, client, conversation):
        return post_webhook(
            client, conversation.inbox, {"object": "whatsapp_business_account", "entry": "x"}
        )


def test_a_text_reply_goes_to_the_customers_number_quoting_nothing_by_default(
    conversation, fake, admin
):
    message = reply(conversation=conversation, author=admin, text="Elle part aujourd'hui.")
    assert deliver(message.pk) == DeliveryStatus.SENT
    (sent,) = _sends(fake)
    assert sent["to"] == "919812345678" and sent["type"] == "text"
    assert sent["text"]["body"] == "Elle part aujourd'hui." and "context" not in sent
    message.refresh_from_db()
    assert message.external_id.startswith("wamid.")


def test_a_reply_to_a_given_message_quotes_it(conversation, fake, admin):
    quoted = Message.objects.get(external_id="wamid.start")
    message = reply(conversation=conversation, author=admin, text="Oui", reply_to=quoted.pk)
    deliver(message.pk)
    assert _sends(fake)[0]["context"] == {"message_id": "wamid.start"}


def test_a_file_is_uploaded_then_sent_by_id_with_the_text_as_caption(conversation, fake, admin):
    message = reply(conversation=conversation, author=admin, text="Voici la facture")
    Attachment.objects.create(
        message=message,
        file=ContentFile(b"%PDF-1.4", name="f.pdf"),
        filename="facture.pdf",
        content_type="application/pdf",
        size=8,
        sha256="ab" * 32,
    )
    assert deliver(message.pk) == DeliveryStatus.SENT
    assert len(fake.calls("POST", r"/v21\.0/\d+/media")) == 1
    (sent,) = _sends(fake)
    assert sent["type"] == "document"
    assert (
        sent["document"]["filename"] == "facture.pdf"
        and sent["document"]["caption"] == "Voici la facture"
    )
    assert sent["document"]["id"] in fake.uploads


def test_429_waits_at_least_retry_after_then_a_real_new_call_succeeds(conversation, fake, admin):
    fake.scripted.append(
        Answer(
            429,
            {"error": {"code": 130429, "message": "Rate limit hit"}},
            headers={"Retry-After": "120"},
        )
    )
    message = reply(conversation=conversation, author=admin, text="Un instant")
    assert deliver(message.pk) == DeliveryStatus.RETRYING
    message.refresh_from_db()
    assert message.next_attempt_at >= timezone.now() + timedelta(seconds=110)
    assert "Rate limit hit (130429)" in message.delivery_error
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert deliver(message.pk) == DeliveryStatus.SENT
    assert len(_sends(fake)) == 2


def test_a_rate_limit_code_in_a_400_is_retried_not_final(conversation, fake, admin):
    fake.scripted.append(error(131056, "Pair rate limit hit"))
    message = reply(conversation=conversation, author=admin, text="Un instant")
    assert deliver(message.pk) == DeliveryStatus.RETRYING


def test_a_permanent_refusal_fails_with_whatsapps_reason_explained(conversation, fake, admin):
    fake.scripted.append(error(131047, "Re-engagement message"))
    message = reply(conversation=conversation, author=admin, text="Hello?")
    assert deliver(message.pk) == DeliveryStatus.FAILED
    message.refresh_from_db()
    assert "Re-engagement message (131047)" in message.delivery_error
    assert "24 hours" in channels.explain_error("whatsapp", "131047")
    inbox = conversation.inbox
    inbox.health.refresh_from_db()
    assert "131047" in inbox.health.last_error


def test_a_wrong_token_is_a_permanent_failure(conversation, fake, admin):
    inbox = conversation.inbox
    inbox.config = {**inbox.config, "access_token": "wrong"}
    inbox.save()
    message = reply(conversation=conversation, author=admin, text="Hello")
    assert deliver(message.pk) == DeliveryStatus.FAILED


def test_after_24_hours_free_text_is_refused_and_a_template_goes_out_in_french(
    conversation, fake, admin
):
    assert window_closes_at(conversation, "whatsapp") > timezone.now() + timedelta(hours=23)
    Message.objects.filter(conversation=conversation).update(
        created_at=timezone.now() - timedelta(hours=25)
    )
    with pytest.raises(ConversationError, match="only an approved template"):
        reply(conversation=conversation, author=admin, text="Are you there?")
    templates.sync(conversation.inbox)
    assert MessageTemplate.objects.filter(inbox=conversation.inbox).count() == 4  # all pages
    contact = conversation.contact
    contact.locale = "fr"
    contact.save()
    message = templates.send(
        conversation=conversation,
        author=admin,
        name="order_update",
        values={"header-1": "A-17", "body-1": "Asha", "body-2": "A-17", "buttons-0": "A-17"},
    )
    assert (
        message.text.startswith("Commande A-17")
        and "votre commande A-17 est partie" in message.text
    )
    assert deliver(message.pk) == DeliveryStatus.SENT
    (sent,) = _sends(fake)
    assert sent["type"] == "template"
    assert (
        sent["template"]["name"] == "order_update" and sent["template"]["language"]["code"] == "fr"
    )
    components = {c["type"]: c for c in sent["template"]["components"]}
    assert components["body"]["parameters"] == [
        {"type": "text", "text": "Asha"},
        {"type": "text", "text": "A-17"},
    ]
    assert components["button"]["index"] == "0" and components["button"]["sub_type"] == "url"


def test_a_language_without_an_approved_translation_falls_back(conversation, admin):
    templates.sync(conversation.inbox)
    chosen = templates.choose(conversation.inbox, "order_update", "el")
    assert chosen.language == "en_US"
    with pytest.raises(templates.TemplateProblem):
        templates.choose(conversation.inbox, "old_promo", "en")
    with pytest.raises(templates.TemplateProblem):
        templates.fill(chosen, {"body-1": "only one"})


def test_a_template_sync_removes_templates_that_are_gone(conversation, fake):
    inbox = conversation.inbox
    MessageTemplate.objects.create(
        inbox=inbox,
        name="deleted",
        language="en",
        status="APPROVED",
        components=[],
        synced_at=timezone.now(),
    )
    assert templates.sync(inbox) == 4
    assert not MessageTemplate.objects.filter(name="deleted").exists()


def test_the_sent_request_is_valid_json_for_non_latin_text(conversation, fake, admin):
    message = reply(conversation=conversation, author=admin, text="আপনার অর্ডার পাঠানো হয়েছে")
    deliver(message.pk)
    raw = fake.calls("POST", r"/v21\.0/\d+/messages")[0].body
    assert json.loads(raw)["text"]["body"] == "আপনার অর্ডার পাঠানো হয়েছে"
