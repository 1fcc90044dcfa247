from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "sahayak.integrations"
    label = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from sahayak.conversations import periodic

        from . import outbox

        periodic.register("outbox-requeue", outbox.requeue_due, every_seconds=15)
        periodic.register("outbox-prune", outbox.prune, every_seconds=600)
