"""``sahayak rotate_keys``: re-encrypt every stored secret with the newest key.

Rotation: put a new key first in ``SAHAYAK_ENCRYPTION_KEYS`` (or the data dir's
``encryption_keys`` file), keep the old ones after it, run this, then drop the old keys."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from sahayak import crypto
from sahayak.accounts.models import TwoFactor
from sahayak.conversations.models import Inbox

BATCH = 500


class Command(BaseCommand):
    help = "Re-encrypt stored secrets (inbox settings, two-factor keys) with the newest key."

    def handle(self, *args: Any, **options: Any) -> None:
        inboxes = 0
        for inbox in Inbox.objects.only("id", "config").iterator(chunk_size=BATCH):
            inbox.save(update_fields=["config"])  # read with any key, sealed with the first
            inboxes += 1
        devices = 0
        for device in TwoFactor.objects.only("id", "secret").iterator(chunk_size=BATCH):
            TwoFactor.objects.filter(pk=device.pk).update(secret=crypto.rotate(device.secret))
            devices += 1
        self.stdout.write(f"re-encrypted {inboxes} inbox settings and {devices} two-factor keys")
