from django.contrib import admin

from .models import Attachment, Conversation, ConversationMerge, Event, Inbox, Message, Tag


@admin.register(Inbox)
class InboxAdmin(admin.ModelAdmin):
    list_display = ("name", "channel", "team", "public_key", "is_active")
    list_filter = ("channel", "is_active")


class MessageInline(admin.StackedInline):
    model = Message
    extra = 0
    fields = ("direction", "channel", "author_user", "author_contact", "text", "delivery_status")
    readonly_fields = fields


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("id", "subject", "status", "priority", "channel", "contact", "assignee", "team")
    list_filter = ("status", "priority", "channel", "team")
    list_select_related = ("contact", "assignee", "team")
    raw_id_fields = ("contact", "assignee", "merged_into")
    filter_horizontal = ("tags",)
    inlines = [MessageInline]
    show_full_result_count = False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "conversation", "direction", "channel", "delivery_status", "created_at")
    list_filter = ("direction", "channel", "delivery_status")
    raw_id_fields = ("conversation", "author_user", "author_contact")
    show_full_result_count = False


admin.site.register(Tag)
admin.site.register(Attachment)
admin.site.register(Event)
admin.site.register(ConversationMerge)
