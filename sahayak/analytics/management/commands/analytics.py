"""``sahayak analytics rebuild|refresh``: replay every conversation into the report facts
(after an upgrade or an import), with progress; or catch up with recent changes."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sahayak.analytics import facts


class Command(BaseCommand):
    help = "Rebuild (or refresh) the facts the reports read."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild", "refresh"])
        parser.add_argument("--batch", type=int, default=1000)

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.monotonic()
        if opts["action"] == "refresh":
            n = facts.refresh_all()
            self.stdout.write(self.style.SUCCESS(f"Refreshed {n:,} conversations."))
            return
        last_print = 0.0

        def progress(done: int, total: int) -> None:
            nonlocal last_print
            now = time.monotonic()
            if done < total and now - last_print < 0.5:
                return
            last_print = now
            rate = done / max(now - started, 1e-9)
            end = "\n" if done >= total else "\r"
            self.stdout.write(f"  {done:,}/{total:,} conversations ({rate:,.0f}/s)", ending=end)
            self.stdout.flush()

        done = facts.rebuild(batch=max(1, opts["batch"]), progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Replayed {done:,} conversations in {time.monotonic() - started:,.1f}s."
            )
        )
