"""``sahayak analytics rebuild|refresh``: replay every conversation into the report facts
(after an upgrade or an import), with progress; or catch up with recent changes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sahayak.analytics import facts
from sahayak.management.progress import Progress


class Command(BaseCommand):
    help = "Rebuild (or refresh) the facts the reports read."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild", "refresh"])
        parser.add_argument("--batch", type=int, default=1000)

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "refresh":
            n = facts.refresh_all()
            self.stdout.write(self.style.SUCCESS(f"Refreshed {n:,} conversations."))
            return
        progress = Progress(self.stdout, "conversations")
        done = facts.rebuild(batch=max(1, opts["batch"]), progress=progress)
        self.stdout.write(
            self.style.SUCCESS(f"Replayed {done:,} conversations in {progress.elapsed:,.1f}s.")
        )
