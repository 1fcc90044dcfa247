from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from sahayak.connectors.messaging import health, queue
from sahayak.connectors.messaging.setup import save_channel
from sahayak.conversations.models import Inbox

from .fake import TOKEN, TelegramFake, raw


@pytest.fixture
def fake(settings: Any) -> Iterator[TelegramFake]:
    server = TelegramFake().start()
    settings.SAHAYAK_TELEGRAM_API_URL = server.base
    health.forget()
    yield server
    server.stop()


@pytest.fixture
def inbox(db: Any, fake: TelegramFake) -> Inbox:
    return save_channel(
        kind="telegram",
        name="Telegram",
        values={
            "bot_token": TOKEN,
            "mode": "webhook",
            "groups": "refuse",
            "secret_token": "s3cret-token",
        },
    )


def post_update(
    client: Client, inbox: Inbox, body: dict[str, Any], secret: str | None = "s3cret-token"
) -> Any:
    headers = {} if secret is None else {"HTTP_X_TELEGRAM_BOT_API_SECRET_TOKEN": secret}
    response = client.post(
        f"/hooks/telegram/{inbox.public_key}", raw(body), content_type="application/json", **headers
    )
    # The worker turns the queued delivery into messages.
    queue.drain()
    return response
