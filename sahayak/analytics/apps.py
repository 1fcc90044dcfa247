from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "sahayak.analytics"
    label = "analytics"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from sahayak.conversations import periodic

        from . import facts

        # Facts follow the conversations' logs a few seconds behind.
        periodic.register("analytics-refresh", facts.refresh_all, every_seconds=5)
