"""The workspace's mailbox settings pages (mounted at /settings/mailboxes/)."""

from django.urls import path

from . import views

app_name = "email"

urlpatterns = [
    path("", views.mailbox_list, name="mailboxes"),
    path("new/", views.mailbox_edit, name="mailbox_new"),
    path("<int:inbox_id>/", views.mailbox_edit, name="mailbox"),
    path("sent/", views.sent_mail, name="sent_mail"),
    path("sent/<str:key>/", views.sent_mail_message, name="sent_mail_message"),
]
