from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.models import LogEntry
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import signin
from .models import ApiToken, AuditEvent, Team, User
from .services import record_audit


def _acting_user(request: HttpRequest) -> User | None:
    return request.user if isinstance(request.user, User) else None


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = (
        "username",
        "email",
        "first_name",
        "last_name",
        "role",
        "is_active",
        "signin_locked_at",
    )
    list_filter = ("role", "is_active", "teams")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("Support"), {"fields": ("role", "locale", "time_zone")}),
        (_("Sign-in"), {"fields": ("signin_locked_at",)}),
    )
    readonly_fields = ("signin_locked_at",)
    actions = ["unlock_signin"]

    @admin.action(description=_("Unlock sign-in (after too many failed tries)"))
    def unlock_signin(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        actor = _acting_user(request)
        count = 0
        for user in queryset:
            signin.unlock(user, actor=actor)
            count += 1
        self.message_user(
            request,
            ngettext("Unlocked %(count)d account.", "Unlocked %(count)d accounts.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        before = User.objects.filter(pk=obj.pk).values("role", "is_active", "is_superuser").first()
        super().save_model(request, obj, form, change)
        if before is None:
            return
        actor = _acting_user(request)
        for field in ("role", "is_active", "is_superuser"):
            if before[field] != getattr(obj, field):
                record_audit(
                    actor=actor,
                    action=f"user.{field}_changed",
                    obj=obj,
                    data={"from": before[field], "to": getattr(obj, field)},
                )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        user = form.instance
        before = set(user.teams.values_list("pk", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        after = set(user.teams.values_list("pk", flat=True))
        if before != after:
            record_audit(
                actor=_acting_user(request),
                action="user.teams_changed",
                obj=user,
                data={"from": sorted(before), "to": sorted(after)},
            )


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "is_private")
    filter_horizontal = ("members",)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        team = form.instance
        before = set(team.members.values_list("pk", flat=True)) if change else set()
        super().save_related(request, form, formsets, change)
        after = set(team.members.values_list("pk", flat=True))
        if before != after:
            record_audit(
                actor=_acting_user(request),
                action="team.members_changed",
                obj=team,
                data={"added": sorted(after - before), "removed": sorted(before - after)},
            )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "prefix",
        "user",
        "name",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is written by the app and never edited from it."""

    list_display = ("created_at", "actor", "action", "object_type", "object_id")
    list_filter = ("action",)
    readonly_fields = ("created_at", "actor", "action", "object_type", "object_id", "data")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@receiver(post_save, sender=LogEntry, dispatch_uid="sahayak-admin-audit")
def admin_change_audited(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    """Every change made in the admin site (settings included) is in the audit log."""
    if not created:
        return
    verb = {1: "added", 2: "changed", 3: "deleted"}.get(instance.action_flag, "changed")
    model = instance.content_type.model if instance.content_type else "object"
    app = instance.content_type.app_label if instance.content_type else ""
    record_audit(
        actor=instance.user if isinstance(instance.user, User) else None,
        action=f"admin.{verb}",
        object_type=f"{app}.{model}",
        object_id=str(instance.object_id or ""),
        data={"change": instance.get_change_message()[:500], "repr": instance.object_repr[:200]},
    )
