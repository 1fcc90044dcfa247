from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalChannelConfig(AppConfig):
    name = "sahayak.connectors.portal"
    label = "portal_channel"
    verbose_name = _("Customer portal")

    def ready(self) -> None:
        from sahayak.conversations import channels

        # Answers show in the portal and go out by email.
        channels.register(
            channels.Channel(
                kind="portal",
                label=_("Customer portal"),
                adapter="sahayak.connectors.portal.adapter.PortalAdapter",
                icon="M4 4h16v16H4z M4 9h16 M9 9v11",
                app=self.name,
            )
        )
