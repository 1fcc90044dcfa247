from django.contrib.auth import views as auth_views
from django.urls import path

from .views import (
    account,
    audit,
    contacts,
    conversation,
    inbox,
    knowledge,
    search,
    security,
    signin,
)

app_name = "web"

urlpatterns = [
    path("", inbox.inbox_page, name="inbox"),
    path("inbox/bulk/", inbox.bulk_action, name="bulk"),
    path("inbox/views/", inbox.save_view, name="save_view"),
    path("inbox/views/<int:view_id>/delete/", inbox.delete_view, name="delete_view"),
    path("c/<int:conversation_id>/", conversation.conversation_page, name="conversation"),
    path("c/<int:conversation_id>/timeline/", conversation.timeline_after, name="timeline"),
    path(
        "c/<int:conversation_id>/m/<int:message_id>/",
        conversation.message_fragment,
        name="message",
    ),
    path("c/<int:conversation_id>/side/", conversation.side_fragment, name="side"),
    path(
        "c/<int:conversation_id>/m/<int:message_id>/original/",
        conversation.raw_email,
        name="raw_email",
    ),
    path("c/<int:conversation_id>/reply/", conversation.post_reply, name="reply"),
    path(
        "c/<int:conversation_id>/m/<int:message_id>/retry/",
        conversation.retry_reply,
        name="retry",
    ),
    path("c/<int:conversation_id>/update/", conversation.update_properties, name="update"),
    path("c/<int:conversation_id>/merge/", conversation.merge, name="merge"),
    path("c/<int:conversation_id>/link/", conversation.link, name="link"),
    path("c/<int:conversation_id>/unlink/<int:other_id>/", conversation.unlink, name="unlink"),
    path(
        "c/<int:conversation_id>/attachments/<int:attachment_id>/",
        conversation.attachment,
        name="attachment",
    ),
    path("merges/<int:merge_id>/undo/", conversation.undo_merge, name="undo_merge"),
    path("c/<int:conversation_id>/articles/", knowledge.suggestions, name="kb_suggest"),
    path(
        "c/<int:conversation_id>/articles/<int:article_id>/link/",
        knowledge.link_article,
        name="kb_link",
    ),
    path(
        "c/<int:conversation_id>/m/<int:message_id>/to-article/",
        knowledge.reply_to_article,
        name="kb_from_reply",
    ),
    path("search/", search.search_page, name="search"),
    path("kb/", knowledge.article_list, name="kb"),
    path("kb/new/", knowledge.article_new, name="kb_new"),
    path("kb/<int:article_id>/", knowledge.article_edit, name="kb_article"),
    path("kb/<int:article_id>/files/", knowledge.upload_file, name="kb_upload"),
    path(
        "kb/<int:article_id>/versions/<int:version_id>/",
        knowledge.version_diff,
        name="kb_version",
    ),
    path(
        "kb/<int:article_id>/versions/<int:version_id>/restore/",
        knowledge.version_restore,
        name="kb_restore",
    ),
    path("contacts/", contacts.contact_list, name="contacts"),
    path("contacts/<int:contact_id>/", contacts.contact_page, name="contact"),
    path("contacts/<int:contact_id>/merge/", contacts.merge_contact, name="merge_contact"),
    path(
        "contacts/<int:contact_id>/not-duplicate/",
        contacts.not_duplicate,
        name="not_duplicate",
    ),
    path(
        "contacts/merges/<int:merge_id>/undo/",
        contacts.undo_contact_merge,
        name="undo_contact_merge",
    ),
    path("organizations/", contacts.organization_list, name="organizations"),
    path(
        "organizations/<int:organization_id>/",
        contacts.organization_page,
        name="organization",
    ),
    path("profile/", account.profile, name="profile"),
    path("notifications/", account.notification_list, name="notifications"),
    path("notifications/read/", account.notifications_read, name="notifications_read"),
    path("login/", signin.SignInView.as_view(), name="login"),
    path("login/verify/", signin.second_factor, name="login_2fa"),
    path("password/reset/", signin.ResetPasswordView.as_view(), name="password_reset"),
    path("password/reset/sent/", signin.ResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        signin.ResetPasswordConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password/reset/done/",
        signin.ResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("profile/two-factor/", security.two_factor, name="two_factor"),
    path("profile/two-factor/off/", security.two_factor_disable, name="two_factor_disable"),
    path("profile/two-factor/codes/", security.recovery_codes, name="recovery_codes"),
    path("profile/sessions/", security.session_list, name="sessions"),
    path("settings/audit/", audit.audit_log, name="audit"),
    path("settings/audit/export.csv", audit.audit_export, name="audit_export"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="web/password_change.html", success_url="/profile/"
        ),
        name="password_change",
    ),
]
