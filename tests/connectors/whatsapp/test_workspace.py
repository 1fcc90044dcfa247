"""The Channels page and API set WhatsApp up (secrets write-only, Test connection calls
the provider, the webhook address is shown), and the reply box follows the window."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from sahayak.accounts.models import AuditEvent
from sahayak.connectors.whatsapp import templates
from sahayak.conversations.delivery import deliver
from sahayak.conversations.models import Conversation, DeliveryStatus, Inbox, Message
from tests.conftest import client_for
from tests.factories import UserFactory

from .conftest import post_webhook
from .fake import APP_SECRET, PHONE_ID, TOKEN, WABA_ID, envelope, text

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(client: Any, inbox: Inbox) -> Conversation:
    post_webhook(client, inbox, envelope([text("wamid.w1", "Where is my order?")]))
    return Message.objects.get(external_id="wamid.w1").conversation


def test_a_supervisor_adds_a_whatsapp_channel_and_its_secrets_never_come_back(web, fake):
    form = {
        "name": "WhatsApp Shop",
        "is_active": "on",
        "phone_number_id": PHONE_ID,
        "business_account_id": WABA_ID,
        "access_token": TOKEN,
        "app_secret": APP_SECRET,
        "verify_token": "",
        "language": "en_US",
    }
    response = web.post("/settings/channels/whatsapp/new/", form)
    assert response.status_code == 302
    inbox = Inbox.objects.get(channel="whatsapp")
    assert inbox.config["access_token"] == TOKEN and len(inbox.config["verify_token"]) > 20
    page = web.get("/settings/channels/").content.decode()
    assert f"/hooks/whatsapp/{inbox.public_key}" in page and "data-copy=" in page
    edit = web.get(f"/settings/channels/whatsapp/{inbox.pk}/").content.decode()
    assert TOKEN not in edit and APP_SECRET not in edit
    assert inbox.config["verify_token"] in edit  # pasted at Meta: shown
    # Saving again with the secrets left empty keeps them.
    form.update(access_token="", app_secret="", verify_token=inbox.config["verify_token"])
    assert web.post(f"/settings/channels/whatsapp/{inbox.pk}/", form).status_code == 302
    inbox.refresh_from_db()
    assert inbox.config["access_token"] == TOKEN and inbox.config["app_secret"] == APP_SECRET
    audit = AuditEvent.objects.filter(action="channel.saved").first()
    assert audit is not None and TOKEN not in str(audit.data)


def test_test_connection_calls_whatsapp_and_writes_the_health_line(web, inbox, fake):
    response = web.post(f"/settings/channels/check/{inbox.pk}/", follow=True)
    assert "Sahayak Shop" in response.content.decode()
    inbox.health.refresh_from_db()
    assert inbox.health.last_check_ok is True
    inbox.config = {**inbox.config, "access_token": "expired"}
    inbox.save()
    response = web.post(f"/settings/channels/check/{inbox.pk}/", follow=True)
    assert "Invalid OAuth access token" in response.content.decode()
    inbox.health.refresh_from_db()
    assert inbox.health.last_check_ok is False and "OAuth" in inbox.health.last_error


def test_agents_cannot_open_the_channels_page(db, fake):
    agent_client = Client()
    agent_client.force_login(UserFactory())
    assert agent_client.get("/settings/channels/").status_code == 403


def test_the_api_sets_up_a_channel_with_write_only_secrets(api, fake):
    created = api.post(
        "/api/v1/channels",
        {
            "kind": "whatsapp",
            "name": "WA",
            "config": {
                "phone_number_id": PHONE_ID,
                "business_account_id": WABA_ID,
                "access_token": TOKEN,
                "app_secret": APP_SECRET,
            },
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["config"]["access_token"] is True and TOKEN not in created.content.decode()
    assert body["webhook_url"].endswith(
        f"/hooks/whatsapp/{Inbox.objects.get(pk=body['id']).public_key}"
    )
    checked = api.post(f"/api/v1/channels/{body['id']}/test")
    assert checked.json() == {"ok": True, "detail": "Sahayak Shop +1 555-010-0200"}
    missing = api.post("/api/v1/channels", {"kind": "whatsapp", "name": "WA2", "config": {}})
    assert missing.status_code == 422
    unknown = api.post("/api/v1/channels", {"kind": "pigeon", "name": "P", "config": {}})
    assert unknown.status_code == 422


def test_agents_cannot_use_the_channels_api(db, fake):
    assert client_for(UserFactory()).get("/api/v1/channels").status_code == 403


def test_the_reply_box_shows_the_time_left_then_offers_templates(web, conversation, fake):
    page = web.get(f"/c/{conversation.pk}/").content.decode()
    assert "Reply window on WhatsApp" in page and 'value="whatsapp"' in page
    Message.objects.filter(conversation=conversation).update(
        created_at=timezone.now() - timedelta(hours=30)
    )
    templates.sync(conversation.inbox)
    page = web.get(f"/c/{conversation.pk}/").content.decode()
    assert "only an approved template can be sent now" in page
    assert 'value="whatsapp"' not in page  # free text is not offered
    picker = web.get(f"/settings/channels/templates/{conversation.pk}/").content.decode()
    assert "order_update" in picker and "follow_up" in picker and "old_promo" not in picker
    assert 'name="body-2"' in picker
    refused = web.post(
        f"/c/{conversation.pk}/reply/",
        {"text": "hi", "kind": "reply", "channel": "whatsapp"},
        HTTP_HX_REQUEST="true",
    )
    assert refused.status_code == 422
    sent = web.post(
        f"/settings/channels/templates/{conversation.pk}/send/",
        {"name": "follow_up"},
        HTTP_HX_REQUEST="true",
    )
    assert sent.status_code == 204
    message = Message.objects.filter(conversation=conversation, direction="out").get()
    assert message.metadata["template"]["name"] == "follow_up"
    assert deliver(message.pk) == DeliveryStatus.SENT


def test_a_failed_message_explains_whatsapps_error_in_the_agents_language(
    web, conversation, fake, admin
):
    from sahayak.conversations.services import reply
    from tests.connectors.whatsapp.fake import error

    fake.scripted.append(error(131026, "Message undeliverable"))
    message = reply(conversation=conversation, author=admin, text="Hello")
    deliver(message.pk)
    page = web.get(f"/c/{conversation.pk}/").content.decode()
    assert "the number may not be on WhatsApp" in page and "Message undeliverable (131026)" in page
