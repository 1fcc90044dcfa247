from django.urls import path

from . import portal_views

app_name = "portal"

urlpatterns = [
    path("", portal_views.home, name="home"),
    path("login/", portal_views.login, name="login"),
    path("login/<str:token>/", portal_views.login_link, name="login_link"),
    path("logout/", portal_views.logout, name="logout"),
    path("new/", portal_views.new_request, name="new"),
    path("c/<int:conversation_id>/", portal_views.conversation, name="conversation"),
]
