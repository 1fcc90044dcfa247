from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "sahayak.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from sahayak.conversations.events import conversation_event

        from .services import on_event

        conversation_event.connect(on_event, dispatch_uid="notify-mentions")
