"""``sahayak telegram``: long-poll the Telegram bots set to polling mode."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from sahayak.companions import stop_on_signals
from sahayak.connectors.telegram import polling


class Command(BaseCommand):
    help = "Fetch Telegram updates by long polling (bots without a public webhook address)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="one round per bot, then exit")

    def handle(self, *args: Any, once: bool, **options: Any) -> None:
        if once:
            for inbox in polling.polled_inboxes():
                read = polling.poll_once(inbox)
                self.stdout.write(f"{inbox.name}: {read} updates")
            return
        stop = stop_on_signals()
        polling.run(stop)
