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
        from django.db.models.signals import post_save

        from sahayak.conversations import periodic
        from sahayak.conversations.models import Inbox

        from . import queue, webhooks

        # An inbox saved in this process is read afresh by its next webhook at once
        # (other processes see the change within webhooks.INBOX_TTL).
        post_save.connect(
            lambda **_: webhooks.forget_inboxes(),
            sender=Inbox,
            weak=False,
            dispatch_uid="messaging-forget-inboxes",
        )

        periodic.register("webhooks-requeue", queue.requeue_due, every_seconds=10)
        periodic.register("webhooks-prune", queue.prune, every_seconds=3600)
