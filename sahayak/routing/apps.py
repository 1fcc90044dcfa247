from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoutingConfig(AppConfig):
    name = "sahayak.routing"
    label = "routing"
    verbose_name = _("Routing and SLAs")

    def ready(self) -> None:
        from sahayak.conversations import periodic

        from . import assignment, presence, receivers, watch

        receivers.connect()

        def presence_and_absence() -> int:
            presence.refresh()
            return presence.return_absent_work()

        periodic.register("routing-presence", presence_and_absence, every_seconds=15)
        # Catches what events cannot: a language wait running out, a missed event.
        periodic.register("routing-hand-out", assignment.hand_out, every_seconds=10)
        periodic.register("sla-watch", lambda: sum(watch.watch().values()), every_seconds=15)
