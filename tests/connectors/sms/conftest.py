from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from sahayak.connectors.messaging import health, queue
from sahayak.connectors.messaging.setup import save_channel
from sahayak.conversations.models import Inbox

from .fake import FROM, SID, TOKEN, SmsFake, sign


@pytest.fixture
def fake(settings: Any) -> Iterator[SmsFake]:
    server = SmsFake().start()
    settings.SAHAYAK_TWILIO_API_URL = server.base
    settings.SAHAYAK_PUBLIC_URL = "https://help.example"
    health.forget()
    yield server
    server.stop()


@pytest.fixture
def inbox(db: Any, fake: SmsFake) -> Inbox:
    return save_channel(
        kind="sms",
        name="SMS",
        values={"account_sid": SID, "auth_token": TOKEN, "from_number": FROM},
    )


def post_sms(
    client: Client,
    inbox: Inbox,
    form: dict[str, str],
    *,
    status: bool = False,
    signature: str | None = None,
) -> Any:
    path = f"/hooks/sms/{inbox.public_key}" + ("/status" if status else "")
    good = sign(f"https://help.example{path}", form)
    headers = {} if signature == "" else {"HTTP_X_TWILIO_SIGNATURE": signature or good}
    # Form-encoded, as the provider sends it.
    response = client.post(
        path, urlencode(form), content_type="application/x-www-form-urlencoded", **headers
    )
    # The worker turns the queued delivery into messages.
    queue.drain()
    return response


def incoming(sid: str, body: str, sender: str = "+919812345678", **extra: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "AccountSid": SID,
        "From": sender,
        "To": FROM,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        **extra,
    }
