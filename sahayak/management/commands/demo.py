"""``sahayak demo``: load demo data (once) and print how to log in."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from sahayak import demo


class Command(BaseCommand):
    help = "Load demo customers, conversations and orders in five languages."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("SAHAYAK_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--smtp-port", type=int, default=int(os.environ.get("SAHAYAK_SMTP_PORT", "2525"))
        )

    def handle(self, *args: Any, host: str, port: int, smtp_port: int, **opts: Any) -> None:
        base = f"http://{host}:{port}"
        if demo.already_loaded():
            self.stdout.write("Demo data is already loaded.")
        else:
            info = demo.load(progress=lambda msg: self.stdout.write(f"  loaded {msg}"))
            demo.enable_answer_bot()
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
            self.stdout.write(f"  API token (shown once): {info['token']}")
        self._how_to_log_in(base, host, smtp_port)

    def _how_to_log_in(self, base: str, host: str, smtp_port: int) -> None:
        form = demo.form_path()
        if form:
            self.stdout.write(f"  Public web form: {base}{form}")
        key = demo.chat_key()
        if key:
            self.stdout.write(
                f"  Live chat preview: {base}/chat/{key}/preview\n"
                f'  Embed it on a site: <script src="{base}/widget.js" '
                f'data-inbox="{key}" async></script>'
            )
        self.stdout.write(
            f"  Agent workspace: {base}/ as admin@example.com "
            f"(user name: admin, password: {demo.DEMO_PASSWORD}); admin: {base}/admin/\n"
            f"  API docs: {base}/api/v1/docs\n"
            f"  Help center: {base}/help/  ·  customer portal: {base}/portal/"
        )
        address = demo.MAILBOX_CONFIG["address"]
        if smtp_port:
            self.stdout.write(
                f"  Write to the demo mailbox: swaks --server {host}:{smtp_port} --to {address}"
            )
        if not settings.SAHAYAK_SMTP_URL:
            self.stdout.write(
                f"  Replies by email are kept, not sent (no SAHAYAK_SMTP_URL): {base}/settings/"
                "mailboxes/sent/"
            )
