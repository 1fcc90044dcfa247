"""Canned replies (one text per language), macros, and automation rules with their runs."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CannedReply(models.Model):
    """A reply kept for reuse: shared with every agent (no owner) or an agent's own."""

    title = models.CharField(_("title"), max_length=200)
    # Typed after "/" in the reply box ("ref" for "Refund policy"); letters of any script.
    shortcut = models.CharField(_("shortcut"), max_length=40, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="canned_replies",
        help_text=_("Empty: shared with every agent."),
    )
    # The text used when there is none in the customer's language.
    default_language = models.CharField(_("default language"), max_length=16, default="en")
    # Title and shortcut case-folded, for search in any script (SQL case-insensitive
    # matching only knows ASCII on SQLite).
    search_key = models.CharField(max_length=260, editable=False, db_index=True)
    usage_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_key = f"{self.shortcut} {self.title}".casefold()[:260]
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class CannedReplyText(models.Model):
    """The reply's text in one language."""

    reply = models.ForeignKey(CannedReply, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=16)
    body = models.TextField(_("text"), max_length=20_000)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["reply", "language"], name="canned_text_per_language")
        ]

    def __str__(self) -> str:
        return f"{self.reply_id} [{self.language}]"


class Macro(models.Model):
    """A named list of actions an agent applies to a conversation in one click.

    ``actions``: in order, each ``{"type": ..., ...}`` (see ``macros.ACTIONS``); ``fields``:
    what the agent fills in when running it (``{"name", "label"}``), used in texts as
    ``{{ fields.<name> }}``.
    """

    name = models.CharField(_("name"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="macros",
        help_text=_("Empty: shared with every agent."),
    )
    actions = models.JSONField(_("actions"), default=list)
    fields = models.JSONField(_("fields to fill in"), default=list, blank=True)
    usage_count = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Trigger(models.TextChoices):
    EVENT = "event", _("When something happens")
    TIME = "time", _("Some time after something happened")


class RuleOutcome(models.TextChoices):
    DONE = "done", _("Actions done")
    PARTLY = "partly", _("Some actions failed")
    LOOP = "loop", _("Stopped: a loop of rules")


class Rule(models.Model):
    """If ``conditions`` hold when one of ``events`` happens (or ``delay_minutes`` after the
    ``anchor`` of a time rule), run ``actions`` in order. See automation.rulebook."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=2000)
    enabled = models.BooleanField(_("enabled"), default=True)
    # Rules run in this order (then by id); the admin sets it.
    position = models.PositiveIntegerField(default=0)
    trigger = models.CharField(max_length=8, choices=Trigger.choices, default=Trigger.EVENT)
    # Event rules: the trigger keys (automation.triggers.EVENTS) that start them.
    events = models.JSONField(default=list, blank=True)
    # Time rules: what the time is counted from (automation.triggers.ANCHORS), and how long.
    anchor = models.CharField(max_length=32, blank=True)
    delay_minutes = models.PositiveIntegerField(default=0)
    # {"match": "all" | "any", "items": [condition or group, ...]}
    conditions = models.JSONField(default=dict, blank=True)
    # [{"type": ..., ...}, ...]
    actions = models.JSONField(default=list)
    # Set on the rules Sahayak ships ("acknowledgement", "answer_bot"): editable, not deletable.
    builtin = models.CharField(max_length=32, null=True, blank=True, unique=True, editable=False)
    # Time rules: how far the sweep has come (anchor time, then id), so each turn only reads
    # what fell due since.
    swept_until = models.DateTimeField(null=True, blank=True, editable=False)
    swept_id = models.BigIntegerField(default=0, editable=False)
    run_count = models.PositiveIntegerField(default=0, editable=False)
    last_run_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["trigger", "enabled"], name="rule_trigger")]

    def __str__(self) -> str:
        return self.name


class RuleRun(models.Model):
    """One rule's run on one conversation: what started it, each condition with the value it
    saw, and each action with what came of it."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="runs")
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    # The trigger key (an event of automation.triggers.EVENTS, or "time").
    trigger = models.CharField(max_length=32)
    # What it ran for: one event, or one due time of a time rule; a rule runs once per key.
    key = models.CharField(max_length=80)
    # How many rules' changes led here (0: a person's or a channel's change).
    depth = models.PositiveSmallIntegerField(default=0)
    outcome = models.CharField(max_length=8, choices=RuleOutcome.choices)
    conditions = models.JSONField(default=list)
    actions = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "conversation", "key"], name="rule_run_once_per_key"
            )
        ]
        indexes = [
            models.Index(fields=["rule", "-id"], name="rule_run_rule"),
            models.Index(fields=["conversation", "-id"], name="rule_run_conversation"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} on #{self.conversation_id} ({self.outcome})"


class RuleAnswer(models.Model):
    """A customer's message a rule has answered: no rule answers it a second time."""

    message = models.OneToOneField(
        "conversations.Message", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    run = models.ForeignKey(RuleRun, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"message {self.message_id} answered by run {self.run_id}"
