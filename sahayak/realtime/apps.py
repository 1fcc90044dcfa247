from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "sahayak.realtime"
    label = "realtime"
    verbose_name = "Realtime"

    def ready(self) -> None:
        from . import broadcast

        broadcast.connect()
