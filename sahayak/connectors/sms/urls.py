"""The SMS webhooks (mounted at /hooks/sms/)."""

from django.urls import path

from . import views

app_name = "sms"

urlpatterns = [
    path("<str:key>", views.incoming, name="webhook"),
    path("<str:key>/status", views.status_callback, name="status"),
]
