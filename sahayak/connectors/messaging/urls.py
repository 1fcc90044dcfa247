"""The workspace's Channels page (mounted at /settings/channels/)."""

from django.urls import path

from . import views

app_name = "messaging"

urlpatterns = [
    path("", views.channel_list, name="channels"),
    path("check/<int:inbox_id>/", views.channel_check, name="channel_check"),
    # The reply box's template picker (a conversation's, once its reply window closed).
    path("templates/<int:conversation_id>/", views.template_picker, name="templates"),
    path("templates/<int:conversation_id>/send/", views.send_template, name="send_template"),
    path("<str:kind>/new/", views.channel_edit, name="channel_new"),
    path("<str:kind>/<int:inbox_id>/", views.channel_edit, name="channel"),
]
