from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "sahayak.api"
    label = "api"
    verbose_name = "REST API"
