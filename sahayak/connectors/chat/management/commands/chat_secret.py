"""``sahayak chat_secret INBOX [--rotate]``: the secret a site signs chat visitor ids with."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q

from sahayak.connectors.chat.config import identity_secret, rotate_identity_secret
from sahayak.conversations.models import Inbox


class Command(BaseCommand):
    help = "Print a chat inbox's identity secret (made on first use); --rotate makes a new one."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("inbox", help="the chat inbox's id or public key")
        parser.add_argument(
            "--rotate", action="store_true", help="replace the secret (old signatures fail)"
        )

    def handle(self, *args: Any, inbox: str, rotate: bool, **opts: Any) -> None:
        match = Q(public_key=inbox) | (Q(pk=int(inbox)) if inbox.isdigit() else Q())
        found = Inbox.objects.filter(match, channel="chat").first()
        if found is None:
            raise CommandError(f"No chat inbox {inbox!r}.")
        secret = identity_secret(found)
        if rotate or not secret:
            secret = rotate_identity_secret(found)
        self.stdout.write(secret)
