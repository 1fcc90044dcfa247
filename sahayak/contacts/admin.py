from django.contrib import admin

from .models import Contact, ContactMerge, Identity, Order, Organization


class IdentityInline(admin.TabularInline):
    model = Identity
    extra = 0


class OrderInline(admin.TabularInline):
    model = Order
    extra = 0


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "locale", "organization", "created_at")
    search_fields = ("name", "identities__address")
    list_select_related = ("organization",)
    inlines = [IdentityInline, OrderInline]
    raw_id_fields = ("organization", "merged_into")


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "domain")
    search_fields = ("name", "domain")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("external_ref", "contact", "amount", "currency", "status", "ordered_at")
    raw_id_fields = ("contact",)


@admin.register(ContactMerge)
class ContactMergeAdmin(admin.ModelAdmin):
    list_display = ("id", "source", "target", "actor", "created_at", "undone_at")
    raw_id_fields = ("source", "target")
