"""The Instagram webhook (mounted at /hooks/instagram/)."""

from django.urls import path

from . import views

app_name = "instagram"

urlpatterns = [path("<str:key>", views.instagram, name="webhook")]
