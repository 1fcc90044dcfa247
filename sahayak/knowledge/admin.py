"""Categories and sections are kept here; articles are written in the workspace (/kb/)."""

from django.contrib import admin

from .models import Article, Category, Feedback, Section, SelfServiceEvent


class SectionInline(admin.TabularInline):
    model = Section
    extra = 1
    fields = ("names", "slug", "position")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("id", "__str__", "slug", "position")
    fields = ("names", "descriptions", "slug", "position")
    inlines = [SectionInline]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("id", "section", "visibility", "updated_at")
    list_filter = ("visibility",)
    raw_id_fields = ("section", "created_by")
    exclude = ("conversations",)


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("translation", "helpful", "comment", "created_at")
    list_filter = ("helpful",)
    raw_id_fields = ("translation",)


@admin.register(SelfServiceEvent)
class SelfServiceEventAdmin(admin.ModelAdmin):
    list_display = ("kind", "channel", "locale", "article", "conversation", "created_at")
    list_filter = ("kind", "channel")
    raw_id_fields = ("article", "conversation")
