from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class WhatsAppConfig(AppConfig):
    name = "sahayak.connectors.whatsapp"
    label = "whatsapp"
    verbose_name = _("WhatsApp")

    def ready(self) -> None:
        from sahayak.connectors.messaging.meta import signing_fields
        from sahayak.connectors.messaging.setup import Field, Setup, register_setup, shared_pages
        from sahayak.conversations import channels, periodic

        from .templates import sync_all

        channels.register(
            channels.Channel(
                kind="whatsapp",
                label=_("WhatsApp"),
                adapter="sahayak.connectors.whatsapp.outbound.WhatsAppAdapter",
                identity_kinds=("whatsapp",),
                icon="M4 20l1.3-4A8 8 0 1 1 8 18.7z M9 9c0 3 3 6 6 6l1-1.5-2-1-1 1c-1-.5-2-1.5-2.5-2.5l1-1-1-2z",
                capabilities=channels.Capabilities(
                    messaging=True,
                    reply_window_hours=24,
                    templates_outside_window=True,
                    read_receipts=True,
                    max_attachment_bytes=min(
                        settings.SAHAYAK_PROVIDER_MEDIA_BYTES, settings.SAHAYAK_MAX_ATTACHMENT_BYTES
                    ),
                    outbound_start=True,
                ),
                **shared_pages(),
                webhook_urls=("whatsapp/", "sahayak.connectors.whatsapp.urls"),
                error_texts="sahayak.connectors.whatsapp.errors.TEXTS",
                templates_url="messaging:templates",
                app=self.name,
            )
        )
        register_setup(
            Setup(
                kind="whatsapp",
                fields=(
                    Field(
                        "phone_number_id",
                        _("Phone number ID"),
                        _("From WhatsApp → API Setup in the Meta app."),
                    ),
                    Field(
                        "business_account_id",
                        _("WhatsApp Business Account ID"),
                        _("Its message templates are offered after the 24-hour window."),
                    ),
                    Field(
                        "access_token",
                        _("Access token"),
                        _(
                            "A system user's permanent token with whatsapp_business_messaging and whatsapp_business_management."
                        ),
                        secret=True,
                    ),
                    *signing_fields(),
                    Field(
                        "language",
                        _("Template language when the customer's is not approved"),
                        required=False,
                        default="en",
                    ),
                ),
                check="sahayak.connectors.whatsapp.client.check",
                process="sahayak.connectors.whatsapp.inbound.process",
                webhook="whatsapp:webhook",
                instructions=_(
                    "In the Meta app's WhatsApp → Configuration, set the callback URL to the "
                    "webhook address below and the verify token to this channel's, then "
                    "subscribe to the messages field."
                ),
                after_save="sahayak.connectors.whatsapp.templates.sync_quietly",
                templates="sahayak.connectors.whatsapp.templates",
            )
        )
        periodic.register("whatsapp-templates", sync_all, every_seconds=3600)
