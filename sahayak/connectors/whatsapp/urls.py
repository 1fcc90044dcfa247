"""The WhatsApp webhook (mounted at /hooks/whatsapp/)."""

from django.urls import path

from . import views

app_name = "whatsapp"

urlpatterns = [path("<str:key>", views.webhook, name="webhook")]
