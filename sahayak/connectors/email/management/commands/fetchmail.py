"""``sahayak fetchmail``: fetch the mailboxes that have IMAP settings."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from sahayak.companions import stop_on_signals
from sahayak.connectors.email import imap
from sahayak.connectors.email.mailboxes import CHANNEL
from sahayak.conversations.models import Inbox


class Command(BaseCommand):
    help = "Fetch IMAP mailboxes: with --once a single round, else keep watching (IDLE)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="one round, then exit")
        parser.add_argument("--inbox", type=int, action="append", help="only this inbox id")
        parser.add_argument("--batch", type=int, default=25, help="messages per transaction")

    def handle(self, *args: Any, once: bool, inbox: list[int] | None, batch: int, **o: Any) -> None:
        if once:
            self._once(inbox, batch)
            return
        stop = stop_on_signals()
        imap.run(stop, only=inbox)

    def _once(self, only: list[int] | None, batch: int) -> None:
        inboxes = Inbox.objects.filter(channel=CHANNEL, is_active=True).order_by("pk")
        if only:
            inboxes = inboxes.filter(pk__in=only)
        failed = False
        for inbox in inboxes:
            if imap.imap_settings(inbox) is None:
                continue
            try:
                report = imap.poll_mailbox(inbox, batch_size=batch)
            except Exception as exc:
                failed = True
                self.stderr.write(f"{inbox.name}: {exc}")
                continue
            self.stdout.write(
                f"{inbox.name}: {report.stored} stored, {report.duplicates} already stored, "
                f"{report.rejected} rejected, {report.deferred} deferred, {report.failed} failed"
            )
            for reason in report.reasons[:20]:
                self.stdout.write(f"  rejected: {reason}")
        if failed:
            raise CommandError("some mailboxes could not be fetched")
