from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class EmailConfig(AppConfig):
    name = "sahayak.connectors.email"
    label = "email"
    verbose_name = _("Email")

    def ready(self) -> None:
        from sahayak.conversations import channels

        channels.register(
            channels.Channel(
                kind="email",
                label=_("Email"),
                adapter="sahayak.connectors.email.outbound.EmailAdapter",
                identity_kinds=("email",),
                icon="M3 6h18v12H3z M3 6l9 7 9-7",
                capabilities=channels.Capabilities(
                    max_attachment_bytes=settings.SAHAYAK_MAX_ATTACHMENT_BYTES,
                    outbound_start=True,
                    formatting=True,
                ),
                api_routers=(
                    ("mailboxes", "sahayak.connectors.email.api.router"),
                    ("inbound/email", "sahayak.connectors.email.api.inbound_router"),
                ),
                workspace_urls=("settings/mailboxes/", "sahayak.connectors.email.urls"),
                settings_url="email:mailboxes",
                settings_label=_("Mailboxes"),
                app=self.name,
            )
        )
