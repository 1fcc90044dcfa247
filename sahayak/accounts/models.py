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
    # What the agent is told about (a toast and the bell; mentions always), and how besides.
    notify_assignments = models.BooleanField(
        _("tell me when a conversation is assigned to me"), default=True
    )
    notify_customer_replies = models.BooleanField(
        _("tell me when a customer replies in one of my conversations"), default=True
    )
    notify_browser = models.BooleanField(
        _("also as a browser notification (when the workspace is in the background)"),
        default=False,
    )
    notify_sound = models.BooleanField(_("also with a sound"), default=False)
    # An administrator put the first-run checklist away.
    onboarding_hidden = models.BooleanField(default=False)
    # The reply box's "Assign to me" box starts ticked on a conversation nobody has.
    claim_on_reply = models.BooleanField(
        _("assign conversations nobody has to me when I reply"), default=True
    )
    # Heartbeat of the agent's open workspace: chat visitors see whether anyone is there.
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # Sign-in throttling: consecutive failures, when the next try is allowed, and a lock that
    # only an administrator lifts (see accounts/signin.py).
    failed_signins = models.PositiveIntegerField(default=0, editable=False)
    signin_blocked_until = models.DateTimeField(null=True, blank=True, editable=False)
    signin_locked_at = models.DateTimeField(_("sign-in locked at"), null=True, blank=True)

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


class TokenScope(models.TextChoices):
    READ = "read", _("Read only")
    FULL = "full", _("Read and write")


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, the secret is shown once at creation."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=120, blank=True)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    scope = models.CharField(
        _("scope"), max_length=8, choices=TokenScope.choices, default=TokenScope.FULL
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    # Requests per minute this token may make (0 = the server's default).
    rate_limit = models.PositiveIntegerField(_("requests per minute"), default=0)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"


class TwoFactor(models.Model):
    """An agent's TOTP authenticator. The secret is encrypted at rest (sahayak.crypto)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="two_factor")
    secret = models.CharField(max_length=255)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # The last 30-second step accepted: a code seen once is not accepted again.
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"TOTP of {self.user}"


class RecoveryCode(models.Model):
    """A one-time code for when the authenticator is lost; only its hash is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "code_hash"])]

    def __str__(self) -> str:
        return f"recovery code of {self.user}"


class AgentSession(models.Model):
    """A signed-in browser of an agent, listed on the profile so it can be signed out."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    method = models.CharField(max_length=16, default="password")
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "-last_seen_at"])]

    def __str__(self) -> str:
        return f"session of {self.user} since {self.created_at:%Y-%m-%d %H:%M}"


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
