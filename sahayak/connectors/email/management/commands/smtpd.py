"""``sahayak smtpd``: the built-in SMTP listener on its own."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand

from sahayak.connectors.email.smtp_server import make_controller


class Command(BaseCommand):
    help = "Receive email over SMTP into the mailboxes (250 only once a message is stored)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("SAHAYAK_SMTP_HOST", "127.0.0.1"))
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("SAHAYAK_SMTP_PORT", "2525"))
        )

    def handle(self, *args: Any, host: str, port: int, **opts: Any) -> None:
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        controller = make_controller(host, port)
        controller.start()
        self.stdout.write(f"SMTP listener on {host}:{port}", ending="\n")
        self.stdout.flush()
        try:
            stop.wait()
        finally:
            controller.stop()
