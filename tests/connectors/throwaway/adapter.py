"""Posts each reply as JSON to the inbox's ``url`` (a local fake in the tests)."""

from __future__ import annotations

import httpx

from sahayak.conversations.channels import (
    ChannelAdapter,
    DeliveryError,
    OutboundMessage,
    SendResult,
)


class PigeonAdapter(ChannelAdapter):
    kind = "pigeon"

    def send(self, message: OutboundMessage) -> SendResult:
        try:
            response = httpx.post(
                str(message.inbox_config["url"]),
                json={"id": message.message_id, "to": message.recipients, "text": message.text},
                timeout=5,
            )
        except httpx.HTTPError as exc:
            raise DeliveryError(f"loft unreachable: {exc}") from exc
        if response.status_code >= 400:
            raise DeliveryError(
                f"loft answered {response.status_code}", permanent=response.status_code < 500
            )
        return SendResult(external_id=f"pigeon-{message.message_id}")
