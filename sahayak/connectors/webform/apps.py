from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebFormConfig(AppConfig):
    name = "sahayak.connectors.webform"
    label = "webform"
    verbose_name = _("Web form")

    def ready(self) -> None:
        from sahayak.conversations import channels

        # Answered by email; never a channel to switch another conversation's reply to.
        channels.register(
            channels.Channel(
                kind="webform",
                label=_("Web form"),
                adapter="sahayak.connectors.webform.adapter.WebFormAdapter",
                icon="M5 3h14v18H5z M8 8h8 M8 12h8 M8 16h5",
                app=self.name,
            )
        )
