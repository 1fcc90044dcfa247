from django.urls import path

from . import views

urlpatterns = [path("<str:public_key>/", views.contact_form, name="webform")]
