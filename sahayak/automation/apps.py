from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "sahayak.automation"
    label = "automation"
    verbose_name = _("Automation, macros and canned replies")

    def ready(self) -> None:
        from sahayak.conversations import periodic

        from . import engine, rulebook, timers

        engine.connect()
        # Due time rules fire within this many seconds (plus the sweep's own duration).
        periodic.register("automation-time-rules", timers.sweep, every_seconds=15)
        periodic.register("automation-prune-runs", engine.prune_runs, every_seconds=600)
        post_migrate.connect(rulebook.ensure_defaults, sender=self, dispatch_uid="rule-defaults")
        from .models import Rule

        post_save.connect(rulebook.forget, sender=Rule, dispatch_uid="rule-saved")
        post_delete.connect(rulebook.forget, sender=Rule, dispatch_uid="rule-deleted")
