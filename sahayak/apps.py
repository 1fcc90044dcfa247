from django.apps import AppConfig


class SahayakConfig(AppConfig):
    name = "sahayak"
    verbose_name = "Sahayak"
