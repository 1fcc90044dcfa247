"""The Messenger webhook (mounted at /hooks/messenger/)."""

from django.urls import path

from . import views

app_name = "messenger"

urlpatterns = [path("<str:key>", views.messenger, name="webhook")]
