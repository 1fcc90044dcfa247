from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from sahayak.connectors.messaging import health, queue
from sahayak.connectors.messaging.setup import save_channel
from sahayak.conversations.models import Inbox

from .fake import APP_SECRET, PHONE_ID, TOKEN, WABA_ID, WhatsAppFake, signed


@pytest.fixture
def fake(settings: Any) -> Iterator[WhatsAppFake]:
    server = WhatsAppFake().start()
    settings.SAHAYAK_GRAPH_API_URL = server.api
    health.forget()
    yield server
    server.stop()


@pytest.fixture
def inbox(db: Any, fake: WhatsAppFake) -> Inbox:
    return save_channel(
        kind="whatsapp",
        name="WhatsApp India",
        values={
            "phone_number_id": PHONE_ID,
            "business_account_id": WABA_ID,
            "access_token": TOKEN,
            "app_secret": APP_SECRET,
            "verify_token": "verify-me",
            "language": "en_US",
        },
    )


def post_webhook(
    client: Client, inbox: Inbox, body: dict[str, Any], signature: str | None = None
) -> Any:
    raw, good = signed(body)
    headers = {} if signature == "" else {"HTTP_X_HUB_SIGNATURE_256": signature or good}
    response = client.post(
        f"/hooks/whatsapp/{inbox.public_key}", raw, content_type="application/json", **headers
    )
    # The worker turns the queued delivery into messages.
    queue.drain()
    return response
