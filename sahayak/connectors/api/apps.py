from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiChannelConfig(AppConfig):
    name = "sahayak.connectors.api"
    label = "api_channel"
    verbose_name = _("API")

    def ready(self) -> None:
        from sahayak.conversations import channels

        # The business's own system is the channel: replies go to its webhook.
        channels.register(
            channels.Channel(
                kind="api",
                label=_("API"),
                adapter="sahayak.connectors.api.adapter.ApiChannelAdapter",
                icon="M9 4C6 4 7 11 4 12c3 1 2 8 5 8 M15 4c3 0 2 7 5 8-3 1-2 8-5 8",
                capabilities=channels.Capabilities(messaging=True),
                app=self.name,
            )
        )
