from django.urls import path

from . import views

app_name = "chat"

urlpatterns = [
    path("f/<str:token>", views.chat_file, name="file"),
    path("<str:public_key>/config", views.widget_config, name="config"),
    path("<str:public_key>/upload", views.upload, name="upload"),
    path("<str:public_key>/preview", views.preview, name="preview"),
]
