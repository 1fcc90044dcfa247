from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "sahayak.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from sahayak.conversations.signals import message_created

        from .services import on_message_created

        message_created.connect(on_message_created, dispatch_uid="notify-mentions")
