"""``sahayak reindex``: rebuild the full-text index of articles and messages, with progress."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from sahayak.knowledge import search
from sahayak.management.progress import Progress


class Command(BaseCommand):
    help = "Rebuild the search index of knowledge base articles and conversation messages."

    def handle(self, *args: Any, **opts: Any) -> None:
        progress = Progress(self.stdout)
        counts = search.reindex(lambda kind, done, total: progress(done, total, kind))
        self.stdout.write(
            self.style.SUCCESS(
                f"Indexed {counts['articles']:,} article translations and "
                f"{counts['messages']:,} messages in {progress.elapsed:,.1f}s."
            )
        )
