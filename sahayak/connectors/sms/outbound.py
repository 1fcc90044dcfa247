"""Replies by SMS: one Messages call per reply (the provider splits long text into
segments), with a status callback so delivered/failed come back; never to a number that
has opted out."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from sahayak.connectors.messaging import health
from sahayak.connectors.messaging.providers import ProviderFailure
from sahayak.contacts.models import Identity
from sahayak.conversations.channels import (
    ChannelAdapter,
    DeliveryError,
    OutboundMessage,
    SendResult,
)
from sahayak.conversations.models import Inbox

from . import client

# The provider refuses longer bodies.
BODY_LIMIT = 1600


class SmsAdapter(ChannelAdapter):
    kind = "sms"

    def send(self, message: OutboundMessage) -> SendResult:
        numbers = message.recipients.get("phone") or []
        blocked = set(
            Identity.objects.filter(
                kind="phone", address__in=numbers, opted_out_at__isnull=False
            ).values_list("address", flat=True)
        )
        reachable = [n for n in numbers if n not in blocked]
        if not reachable:
            if blocked:
                raise DeliveryError(
                    _("The customer opted out of SMS (they replied STOP)."), permanent=True
                )
            raise DeliveryError(_("The customer has no phone number."), permanent=True)
        if len(message.text) > BODY_LIMIT:
            raise DeliveryError(
                gettext_noop("An SMS can have at most %(n)s characters."),
                params={"n": BODY_LIMIT},
                permanent=True,
            )
        try:
            sid = client.send(
                message.inbox_config,
                to=reachable[0],
                body=message.text,
                status_callback=_callback(message.inbox_id),
            )
        except ProviderFailure as exc:
            health.went_wrong(message.inbox_id, exc.message)
            raise
        health.sent(message.inbox_id)
        return SendResult(external_id=sid)


def _callback(inbox_id: int) -> str:
    """Where the provider reports delivery: needs the server's public address."""
    if not settings.SAHAYAK_PUBLIC_URL or not inbox_id:
        return ""
    key = Inbox.objects.filter(pk=inbox_id).values_list("public_key", flat=True).first()
    return f"{settings.SAHAYAK_PUBLIC_URL}{reverse('sms:status', args=[key])}" if key else ""
