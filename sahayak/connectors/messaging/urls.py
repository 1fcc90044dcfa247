"""The workspace's Channels page (mounted at /settings/channels/)."""

from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("", views.channel_list, name="channels"),
    path("<str:kind>/new/", views.channel_edit, name="channel_new"),
    path("<str:kind>/<int:inbox_id>/", views.channel_edit, name="channel"),
    path("check/<int:inbox_id>/", views.channel_check, name="channel_check"),
]
