from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from sahayak.connectors.messaging import health, queue
from sahayak.connectors.messaging.setup import save_channel
from sahayak.conversations.models import Inbox

from .fake import APP_SECRET, IG_ID, PAGE_ID, TOKEN, MetaFake, signed


@pytest.fixture
def fake(settings: Any) -> Iterator[MetaFake]:
    server = MetaFake().start()
    settings.SAHAYAK_GRAPH_API_URL = server.api
    settings.SAHAYAK_META_MEDIA_HOSTS = ["127.0.0.1"]
    health.forget()
    yield server
    server.stop()


def _values(account: dict[str, str], human_agent: bool) -> dict[str, Any]:
    return {
        **account,
        "access_token": TOKEN,
        "app_secret": APP_SECRET,
        "verify_token": "vt",
        "human_agent": human_agent,
    }


@pytest.fixture
def messenger(db: Any, fake: MetaFake) -> Inbox:
    return save_channel(
        kind="messenger", name="Facebook page", values=_values({"page_id": PAGE_ID}, True)
    )


@pytest.fixture
def instagram(db: Any, fake: MetaFake) -> Inbox:
    return save_channel(
        kind="instagram", name="Instagram", values=_values({"account_id": IG_ID}, False)
    )


def post_event(
    client: Client, inbox: Inbox, body: dict[str, Any], signature: str | None = None
) -> Any:
    raw, good = signed(body, APP_SECRET)
    headers = {} if signature == "" else {"HTTP_X_HUB_SIGNATURE_256": signature or good}
    response = client.post(
        f"/hooks/{inbox.channel}/{inbox.public_key}",
        raw,
        content_type="application/json",
        **headers,
    )
    # The worker turns the queued delivery into messages.
    queue.drain()
    return response
