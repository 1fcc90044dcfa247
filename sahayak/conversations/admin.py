from typing import Any

from django import forms
from django.contrib import admin

from sahayak import netguard

from . import channels
from .fields import masked, unmask
from .models import Attachment, Conversation, ConversationMerge, Event, Inbox, Message, Tag


class InboxForm(forms.ModelForm):
    """Only channels whose connector is installed can be chosen: an inbox on any other
    channel could never be answered."""

    channel = forms.ChoiceField(choices=())

    class Meta:
        model = Inbox
        fields = ("name", "channel", "team", "public_key", "config", "is_active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Secrets are never shown: a mask stands in, and an unchanged mask keeps them.
            self.initial["config"] = masked(self.instance.config)
        choices = [(c.kind, str(c.label)) for c in channels.channels()]
        current = self.instance.channel if self.instance.pk else ""
        if current and not channels.is_known(current):
            choices.append((current, current))  # an existing inbox keeps its value
        field = self.fields["channel"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def clean_config(self) -> Any:
        stored = Inbox.objects.filter(pk=self.instance.pk).values_list("config", flat=True)
        config = unmask(self.cleaned_data.get("config"), stored[0] if stored else {})
        url = config.get("webhook_url") if isinstance(config, dict) else None
        if url:
            try:
                netguard.check_scheme(str(url))
            except netguard.DestinationRefused as exc:
                raise forms.ValidationError(str(exc)) from exc
        return config


@admin.register(Inbox)
class InboxAdmin(admin.ModelAdmin):
    form = InboxForm
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
