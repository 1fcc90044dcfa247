from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    name = "sahayak.automation"
    label = "automation"
    verbose_name = _("Automation, macros and canned replies")
