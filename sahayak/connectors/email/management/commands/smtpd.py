"""``sahayak smtpd``: the built-in SMTP listener on its own."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand

from sahayak.companions import smtp_listener, stop_on_signals


class Command(BaseCommand):
    help = "Receive email over SMTP into the mailboxes (250 only once a message is stored)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("SAHAYAK_SMTP_HOST", "127.0.0.1"))
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("SAHAYAK_SMTP_PORT", "2525"))
        )

    def handle(self, *args: Any, host: str, port: int, **opts: Any) -> None:
        stop = stop_on_signals()

        def ready() -> None:
            self.stdout.write(f"SMTP listener on {host}:{port}", ending="\n")
            self.stdout.flush()

        smtp_listener(host, port, ready)(stop)
