from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "kind", "conversation", "created_at", "read_at")
    raw_id_fields = ("recipient", "actor", "conversation", "message")
