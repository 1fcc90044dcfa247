from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from sahayak.api.api import api


def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("form/", include("sahayak.connectors.webform.urls")),
    path("healthz", health),
    path("", include("sahayak.web.urls")),
]
