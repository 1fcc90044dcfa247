"""The API channel: the business's own system is the channel.

Inbound arrives on ``POST /api/v1/inbound``. Outbound replies are POSTed to the inbox's
``webhook_url`` (if set) as JSON signed with HMAC-SHA256 of ``"<timestamp>.<body>"``
under the inbox's ``webhook_secret``; without a webhook URL the business reads replies
from the API, so the message counts as sent once stored.
"""

from __future__ import annotations

import json
import time

import httpx
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from sahayak import netguard
from sahayak.conversations.channels import (
    ChannelAdapter,
    DeliveryError,
    OutboundMessage,
    SendResult,
)
from sahayak.integrations.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign


class ApiChannelAdapter(ChannelAdapter):
    kind = "api"

    def send(self, message: OutboundMessage) -> SendResult:
        url = message.inbox_config.get("webhook_url")
        if not url:
            return SendResult()
        body = json.dumps(
            {
                "event": "message.created",
                "message": {
                    "id": message.message_id,
                    "conversation_id": message.conversation_id,
                    "text": message.text,
                    "html": message.html,
                    "author": message.author_name,
                    "recipients": message.recipients,
                },
            },
            ensure_ascii=False,
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": f"sahayak-message-{message.message_id}",
            TIMESTAMP_HEADER: timestamp,
        }
        secret = message.inbox_config.get("webhook_secret", "")
        if secret:
            headers[SIGNATURE_HEADER] = sign(secret, timestamp, body)
        try:
            response = netguard.post(
                url, content=body, headers=headers, timeout=settings.SAHAYAK_DELIVERY_TIMEOUT
            )
        except netguard.DestinationRefused as exc:
            raise DeliveryError(str(exc), permanent=True) from exc
        except httpx.TimeoutException as exc:
            raise DeliveryError(_("The webhook did not answer in time.")) from exc
        except httpx.HTTPError as exc:
            # Not the transport's own words: "connection refused" vs a timeout would tell
            # whoever sets the URL which ports are open on hosts Sahayak can reach.
            raise DeliveryError(_("The webhook could not be reached.")) from exc
        if response.is_success:
            return SendResult(external_id=response.headers.get("X-Message-Id") or None)
        permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
        # The status only: the remote server's body is not shown to agents.
        raise DeliveryError(
            gettext_noop("The webhook answered HTTP %(status)s."),
            params={"status": response.status_code},
            permanent=permanent,
        )
