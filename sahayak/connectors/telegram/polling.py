"""Long polling (``getUpdates``) for bots on machines without a public address, and the
webhook registration for those with one."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.urls import reverse

from sahayak.connectors.messaging import health, webhooks
from sahayak.connectors.messaging.providers import ProviderFailure
from sahayak.conversations.models import Inbox

from . import client
from .inbound import CHANNEL, message
from .models import PollCursor

logger = logging.getLogger(__name__)
RESCAN_SECONDS = 30


def poll_once(inbox: Inbox, *, wait: int = 0) -> int:
    """One getUpdates round: store what came, then move the cursor. Returns how many
    updates were read."""
    cursor, _created = PollCursor.objects.get_or_create(inbox=inbox)
    updates = client.call(
        inbox.config,
        "getUpdates",
        json={"offset": cursor.offset, "timeout": wait, "allowed_updates": ["message"]},
        timeout=wait + 15,
    )
    updates = [u for u in updates or [] if isinstance(u, dict) and "update_id" in u]
    if not updates:
        return 0
    items = [m for m in (message(u, inbox) for u in updates) if m is not None]
    webhooks.store(inbox, items)
    cursor.offset = max(int(u["update_id"]) for u in updates) + 1
    cursor.save(update_fields=["offset"])
    return len(updates)


def polled_inboxes() -> list[Inbox]:
    return [
        inbox
        for inbox in Inbox.objects.filter(channel=CHANNEL, is_active=True).order_by("pk")
        if inbox.config.get("mode") == "polling"
    ]


def run(stop: threading.Event) -> None:
    """Poll every long-polling inbox, each in its own thread, until ``stop`` is set;
    inboxes added or switched on later are picked up within RESCAN_SECONDS."""
    running: dict[int, threading.Thread] = {}
    while not stop.is_set():
        try:
            close_old_connections()
            inboxes = polled_inboxes()
        except DatabaseError as exc:  # an outage: keep going, look again later
            logger.warning("telegram: database unavailable (%s)", exc)
            inboxes = []
        for inbox in inboxes:
            thread = running.get(inbox.pk)
            if thread is None or not thread.is_alive():
                running[inbox.pk] = thread = threading.Thread(
                    target=_loop, args=(inbox.pk, stop), name=f"telegram-{inbox.pk}", daemon=True
                )
                thread.start()
        stop.wait(RESCAN_SECONDS)


def _loop(inbox_id: int, stop: threading.Event) -> None:
    failures = 0
    while not stop.is_set():
        try:
            inbox = Inbox.objects.filter(pk=inbox_id, is_active=True).first()
            if inbox is None or inbox.config.get("mode") != "polling":
                return
            poll_once(inbox, wait=settings.SAHAYAK_TELEGRAM_POLL_SECONDS)
            failures = 0
        except ProviderFailure as exc:
            failures += 1
            health.went_wrong(inbox_id, exc.message)
            logger.warning("telegram polling of inbox %s: %s", inbox_id, exc)
            stop.wait(min(5 * failures, 60) if exc.retry_after is None else exc.retry_after)
        except Exception:
            failures += 1
            logger.exception("telegram polling of inbox %s failed", inbox_id)
            stop.wait(min(5 * failures, 60))
        finally:
            close_old_connections()


def apply_mode(inbox: Inbox) -> None:
    """After the channel is saved: register the webhook (with its secret) when the server
    has a public address and the mode is webhook; remove it for long polling (Telegram
    refuses getUpdates while a webhook is set)."""
    config: dict[str, Any] = inbox.config
    try:
        if config.get("mode") == "polling":
            client.call(config, "deleteWebhook", json={"drop_pending_updates": False})
        elif settings.SAHAYAK_PUBLIC_URL:
            url = settings.SAHAYAK_PUBLIC_URL + reverse("telegram:webhook", args=[inbox.public_key])
            client.call(
                config,
                "setWebhook",
                json={
                    "url": url,
                    "secret_token": config.get("secret_token", ""),
                    "allowed_updates": ["message"],
                },
            )
    except ProviderFailure as exc:
        health.went_wrong(inbox.pk, exc.message)
