from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "sahayak.api"
    label = "api"
    verbose_name = "REST API"

    def ready(self) -> None:
        from sahayak.conversations import periodic

        from .idempotency import forget_old

        periodic.register("forget-idempotency-keys", forget_old, every_seconds=3600)
