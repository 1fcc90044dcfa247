"""Django's own mail (password resets) goes out the same way as replies: through the
relay in ``SAHAYAK_SMTP_URL``, or into the local outbox when none is set."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

from sahayak.conversations.channels import DeliveryError

from .outbound import relay_for, send_mime


class RelayEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        relay = relay_for({})
        for message in email_messages:
            # Django builds compat32 MIME objects; the relay and the outbox take the
            # standard library's EmailMessage.
            mime: Any = email.message_from_bytes(
                message.message().as_bytes(), policy=email.policy.default
            )
            try:
                for recipient in message.recipients():
                    send_mime(relay, mime, message.from_email, recipient)
            except DeliveryError:
                if not self.fail_silently:
                    raise
                continue
            sent += 1
        return sent
