from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class MessengerConfig(AppConfig):
    """Facebook Messenger and Instagram messaging: one webhook family, two channels."""

    name = "sahayak.connectors.messenger"
    label = "messenger"
    verbose_name = _("Messenger and Instagram")

    def ready(self) -> None:
        from sahayak.connectors.messaging.meta import signing_fields
        from sahayak.connectors.messaging.setup import Field, Setup, register_setup, shared_pages
        from sahayak.conversations import channels

        shared: dict[str, Any] = {
            **shared_pages(),
            "error_texts": "sahayak.connectors.messenger.errors.TEXTS",
            "app": self.name,
        }
        # Up to 7 days with the HUMAN_AGENT tag (24 hours without it; see outbound).
        window = 24 * 7
        channels.register(
            channels.Channel(
                kind="messenger",
                label=_("Messenger"),
                adapter="sahayak.connectors.messenger.outbound.MessengerAdapter",
                identity_kinds=("facebook",),
                icon="M12 3C7 3 3 6.7 3 11.3c0 2.6 1.3 4.9 3.3 6.4V21l3-1.7c.9.3 1.8.4 2.7.4 5 0 9-3.7 9-8.3S17 3 12 3z M7 13l3-3 2 2 3-3-3 5-2-2z",
                capabilities=channels.Capabilities(
                    messaging=True,
                    reply_window_hours=window,
                    read_receipts=True,
                    max_attachment_bytes=min(
                        25 * 1024 * 1024, settings.SAHAYAK_MAX_ATTACHMENT_BYTES
                    ),
                ),
                webhook_urls=("messenger/", "sahayak.connectors.messenger.urls"),
                **shared,
            )
        )
        channels.register(
            channels.Channel(
                kind="instagram",
                label=_("Instagram"),
                adapter="sahayak.connectors.messenger.outbound.InstagramAdapter",
                identity_kinds=("instagram",),
                icon="M4 4h16v16H4z M12 8a4 4 0 1 0 0 8a4 4 0 1 0 0-8 M17 6.5h.01",
                capabilities=channels.Capabilities(
                    messaging=True, reply_window_hours=window, read_receipts=True
                ),
                webhook_urls=("instagram/", "sahayak.connectors.messenger.urls_instagram"),
                **shared,
            )
        )
        common = (
            Field(
                "access_token",
                _("Access token"),
                _(
                    "A page access token with pages_messaging (Instagram: instagram_manage_messages)."
                ),
                secret=True,
            ),
            *signing_fields(),
            Field(
                "human_agent",
                _("Use the human agent tag"),
                _(
                    "Replies up to 7 days after the customer's last message (needs Meta's Human Agent permission)."
                ),
                type="bool",
                default=False,
            ),
        )
        instructions = _(
            "In the Meta app's Webhooks settings, subscribe the %(object)s object to "
            "messages, message_deliveries, message_reads and message_echoes with the "
            "address below and this channel's verify token."
        )
        register_setup(
            Setup(
                kind="messenger",
                fields=(Field("page_id", _("Page ID")), *common),
                check="sahayak.connectors.messenger.client.check_messenger",
                process="sahayak.connectors.messenger.inbound.process_messenger",
                webhook="messenger:webhook",
                instructions=instructions % {"object": "Page"},
            )
        )
        register_setup(
            Setup(
                kind="instagram",
                fields=(Field("account_id", _("Instagram account ID")), *common),
                check="sahayak.connectors.messenger.client.check_instagram",
                process="sahayak.connectors.messenger.inbound.process_instagram",
                webhook="instagram:webhook",
                instructions=instructions % {"object": "Instagram"},
            )
        )
