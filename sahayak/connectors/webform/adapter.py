"""Web form conversations are answered by email, through the email channel's adapter."""

from __future__ import annotations

from django.utils.translation import gettext as _

from sahayak.connectors.base import ChannelAdapter, DeliveryError, OutboundMessage, SendResult
from sahayak.connectors.registry import UnknownChannel, get_adapter


class WebFormAdapter(ChannelAdapter):
    kind = "webform"

    def send(self, message: OutboundMessage) -> SendResult:
        if not message.recipients.get("email"):
            raise DeliveryError(_("The customer left no email address."), permanent=True)
        try:
            email = get_adapter("email")
        except UnknownChannel:
            raise DeliveryError(
                _("Replies to web form requests go out by email, and no email channel is set up."),
                permanent=True,
            ) from None
        return email.send(message)
