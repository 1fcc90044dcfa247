from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "sahayak.feedback"
    label = "feedback"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        from sahayak.conversations import periodic

        from . import receivers, sending

        receivers.connect()
        periodic.register("feedback-send", sending.send_due, every_seconds=30)
