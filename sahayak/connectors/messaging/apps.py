from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    """What the provider-backed messaging channels share: their setup registry and the
    workspace's Channels page, provider calls with honest retry decisions, webhook
    storage and the health line."""

    name = "sahayak.connectors.messaging"
    label = "messaging"
    verbose_name = _("Messaging channels")
