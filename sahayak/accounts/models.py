"""Agents, teams, roles, API tokens and the audit log."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    SUPERVISOR = "supervisor", _("Supervisor")
    AGENT = "agent", _("Agent")


class AgentManager(UserManager["User"]):
    pass


class User(AbstractUser):
    """An agent (or supervisor, or admin) of the support team."""

    email = models.EmailField(_("email address"), unique=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    locale = models.CharField(_("language"), max_length=16, default="en")
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC")
    # Heartbeat of the agent's open workspace: chat visitors see whether anyone is there.
    last_seen_at = models.DateTimeField(null=True, blank=True)

    objects: AgentManager = AgentManager()  # type: ignore[misc]

    @property
    def sees_everything(self) -> bool:
        """Admins and supervisors see every team's conversations, private or not."""
        return self.is_superuser or self.role in (Role.ADMIN, Role.SUPERVISOR)

    def __str__(self) -> str:
        return self.get_full_name() or self.email or self.username


class Team(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    is_private = models.BooleanField(
        _("private"),
        default=False,
        help_text=_("Only members, supervisors and admins see a private team's conversations."),
    )
    members = models.ManyToManyField(User, related_name="teams", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, the secret is shown once at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=120, blank=True)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class AuditEvent(models.Model):
    """Who did what to which object: merges, undos, token creation, permission changes."""

    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}:{self.object_id}"
