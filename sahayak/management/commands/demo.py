"""``sahayak demo``: load demo data (once) and print how to log in."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from sahayak import demo


class Command(BaseCommand):
    help = "Load demo customers, conversations and orders in five languages."

    def handle(self, *args: Any, **opts: Any) -> None:
        if demo.already_loaded():
            self.stdout.write("Demo data is already loaded.")
            self._how_to_log_in()
            return
        info = demo.load(progress=lambda msg: self.stdout.write(f"  loaded {msg}"))
        demo.enable_answer_bot()
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(f"  API token (shown once): {info['token']}")
        self.stdout.write(f"  Public web form: http://127.0.0.1:8000{info['form_url']}")
        self._how_to_log_in()

    def _how_to_log_in(self) -> None:
        key = demo.chat_key()
        if key:
            self.stdout.write(
                f"  Live chat preview: http://127.0.0.1:8000/chat/{key}/preview\n"
                '  Embed it on a site: <script src="http://127.0.0.1:8000/widget.js" '
                f'data-inbox="{key}" async></script>'
            )
        self.stdout.write(
            "  Agent workspace: http://127.0.0.1:8000/ as admin@example.com "
            f"(user name: admin, password: {demo.DEMO_PASSWORD}); admin: /admin/\n"
            "  API docs: http://127.0.0.1:8000/api/v1/docs\n"
            "  Help center: http://127.0.0.1:8000/help/  ·  customer portal: "
            "http://127.0.0.1:8000/portal/"
        )
