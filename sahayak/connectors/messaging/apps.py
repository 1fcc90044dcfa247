from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    """What the provider-backed messaging channels share: their setup registry and the
    workspace's Channels page, provider calls with honest retry decisions, webhook
    storage and the health line."""

    name = "sahayak.connectors.messaging"
    label = "messaging"
    verbose_name = _("Messaging channels")

    def ready(self) -> None:
        from sahayak.conversations import periodic

        from . import queue

        periodic.register("webhooks-requeue", queue.requeue_due, every_seconds=10)
        periodic.register("webhooks-prune", queue.prune, every_seconds=3600)
