"""Web form conversations are answered by email, from the first mailbox with an address."""

from __future__ import annotations

from sahayak.connectors.email.outbound import send_by_email
from sahayak.conversations.channels import ChannelAdapter, OutboundMessage, SendResult


class WebFormAdapter(ChannelAdapter):
    kind = "webform"

    def send(self, message: OutboundMessage) -> SendResult:
        return send_by_email(message)
