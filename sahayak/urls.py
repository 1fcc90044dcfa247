from django.contrib import admin
from django.urls import include, path

from sahayak import health
from sahayak.accounts import sso
from sahayak.api.api import api
from sahayak.connectors.chat import views as chat_views
from sahayak.conversations import channels
from sahayak.portal import help_views
from sahayak.web.views import signin as signin_views

urlpatterns = [
    # The admin signs in through the workspace's page (throttling, second factor).
    path("admin/login/", signin_views.admin_login),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("form/", include("sahayak.connectors.webform.urls")),
    path("widget.js", chat_views.widget_js, name="widget_js"),
    path("widget.css", chat_views.widget_css, name="widget_css"),
    path("chat/", include("sahayak.connectors.chat.urls")),
    path("help/", include("sahayak.portal.urls")),
    path("portal/", include("sahayak.portal.urls_portal")),
    path("survey/", include("sahayak.feedback.urls")),
    path("robots.txt", help_views.robots_txt),
    path("healthz", health.healthz),
    path("readyz", health.readyz),
    # Each channel's workspace pages (e.g. /settings/mailboxes/; channels that share a
    # page name it once each) and its providers' webhooks (/hooks/whatsapp/...).
    *[
        path(prefix, include(module))
        for prefix, module in dict.fromkeys(
            channel.workspace_urls for channel in channels.channels() if channel.workspace_urls
        )
    ],
    *[
        path(f"hooks/{channel.webhook_urls[0]}", include(channel.webhook_urls[1]))
        for channel in channels.channels()
        if channel.webhook_urls
    ],
    path("", include("sahayak.web.urls")),
]
if sso.is_enabled():
    urlpatterns.insert(0, path("sso/", include("mozilla_django_oidc.urls")))

handler500 = "sahayak.health.server_error"
