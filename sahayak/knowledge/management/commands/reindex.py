"""``sahayak reindex``: rebuild the full-text index of articles and messages, with progress."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from sahayak.knowledge import search


class Command(BaseCommand):
    help = "Rebuild the search index of knowledge base articles and conversation messages."

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.monotonic()
        last_print = 0.0

        def progress(kind: str, done: int, total: int) -> None:
            nonlocal last_print
            now = time.monotonic()
            if done < total and now - last_print < 0.5:
                return
            last_print = now
            rate = done / max(now - started, 1e-9)
            end = "\n" if done >= total else "\r"
            self.stdout.write(f"  {kind}: {done:,}/{total:,} ({rate:,.0f}/s)", ending=end)
            self.stdout.flush()

        counts = search.reindex(progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Indexed {counts['articles']:,} article translations and "
                f"{counts['messages']:,} messages in {time.monotonic() - started:,.1f}s."
            )
        )
