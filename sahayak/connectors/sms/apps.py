from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SmsConfig(AppConfig):
    name = "sahayak.connectors.sms"
    label = "sms"
    verbose_name = _("SMS")

    def ready(self) -> None:
        from sahayak.connectors.messaging.setup import Field, Setup, register_setup, shared_pages
        from sahayak.conversations import channels

        channels.register(
            channels.Channel(
                kind="sms",
                label=_("SMS"),
                adapter="sahayak.connectors.sms.outbound.SmsAdapter",
                identity_kinds=("phone",),
                icon="M6 3h12v18H6z M10 18h4",
                capabilities=channels.Capabilities(
                    messaging=True, outbound_start=True, segmented=True
                ),
                **shared_pages(),
                webhook_urls=("sms/", "sahayak.connectors.sms.urls"),
                error_texts="sahayak.connectors.sms.errors.TEXTS",
                app=self.name,
            )
        )
        register_setup(
            Setup(
                kind="sms",
                fields=(
                    Field("account_sid", _("Account SID")),
                    Field(
                        "auth_token",
                        _("Auth token"),
                        _("Also checks the webhooks' signatures."),
                        secret=True,
                    ),
                    Field(
                        "from_number",
                        _("Sending number"),
                        _("In international form, e.g. +14155550100."),
                        required=False,
                    ),
                    Field(
                        "messaging_service_sid",
                        _("Messaging service SID"),
                        _("Instead of a sending number."),
                        required=False,
                    ),
                ),
                check="sahayak.connectors.sms.client.check",
                process="sahayak.connectors.sms.inbound.process",
                webhook="sms:webhook",
                clean="sahayak.connectors.sms.setup.clean",
                instructions=_(
                    'At the provider, set the number\'s "A message comes in" webhook (HTTP '
                    "POST) to the address below. Delivery statuses come back when "
                    "SAHAYAK_PUBLIC_URL is set."
                ),
            )
        )
