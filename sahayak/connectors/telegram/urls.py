"""The Telegram webhook (mounted at /hooks/telegram/)."""

from django.urls import path

from . import views

app_name = "telegram"

urlpatterns = [path("<str:key>", views.webhook, name="webhook")]
