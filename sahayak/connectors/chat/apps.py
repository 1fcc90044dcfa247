from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "sahayak.connectors.chat"
    label = "chat"
    verbose_name = "Live chat"

    def ready(self) -> None:
        from . import live

        live.connect()
