"""Fetching mailboxes over IMAP (imap-tools): a message is flagged (or moved) only after it
is stored, with IDLE where the server offers it.

Messages are found by what we have not yet marked, not by \\Seen, so a person reading the
mailbox in another client changes nothing. A message that will never be accepted is marked
``SahayakRejected`` and left in place for a person to look at; a message that fails for a
passing reason is left unmarked and tried again on the next round. Neither stops the rest.
"""

from __future__ import annotations

import hashlib
import imaplib
import json
import logging
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection
from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import MailboxStarttlsError
from imap_tools.utils import check_command_status

from sahayak import heartbeat
from sahayak.conversations.models import Inbox
from sahayak.netguard import vetted_address

from .inbound import IngestOutcome, MailDeferred, MailRejected, ingest, ingest_many
from .mailboxes import CHANNEL, ServerSettings, server_from_config

logger = logging.getLogger(__name__)

STORED = "SahayakStored"
REJECTED = "SahayakRejected"
_UID = re.compile(rb"UID (\d+)")


@dataclass
class PollReport:
    inbox_id: int
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0
    deferred: int = 0
    failed: int = 0
    reasons: list[str] = field(default_factory=list)

    def add(self, result: IngestOutcome | Exception) -> None:
        if isinstance(result, IngestOutcome):
            if result.status == "duplicate":
                self.duplicates += 1
            else:
                self.stored += 1
        elif isinstance(result, MailRejected):
            self.rejected += 1
            self.reasons.append(result.reason)
        elif isinstance(result, MailDeferred):
            self.deferred += 1
        else:
            self.failed += 1


class _PinnedIMAP4(imaplib.IMAP4):
    """IMAP to the address netguard checked (the name stays for STARTTLS)."""

    def __init__(self, host: str, port: int, timeout: float, pinned: str):
        self._pinned = pinned
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return socket.create_connection((self._pinned, self.port), timeout)


class _PinnedIMAP4SSL(imaplib.IMAP4_SSL):
    def __init__(self, host: str, port: int, context: ssl.SSLContext, timeout: float, pinned: str):
        self._pinned = pinned
        super().__init__(host, port, ssl_context=context, timeout=timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        raw = socket.create_connection((self._pinned, self.port), timeout)
        return self.ssl_context.wrap_socket(raw, server_hostname=self.host)


class _PinnedMailBox(MailBox):
    def __init__(self, host: str, port: int, *, timeout: float, pinned: str):
        self._pinned = pinned
        super().__init__(host, port, timeout=timeout, ssl_context=ssl.create_default_context())

    def _get_mailbox_client(self) -> imaplib.IMAP4:
        return _PinnedIMAP4SSL(
            self._host, self._port, self._ssl_context, self._timeout, self._pinned
        )


class _PinnedMailBoxStartTls(MailBoxStartTls):
    def __init__(self, host: str, port: int, *, timeout: float, pinned: str):
        self._pinned = pinned
        super().__init__(host, port, timeout=timeout, ssl_context=ssl.create_default_context())

    def _get_mailbox_client(self) -> imaplib.IMAP4:
        client = _PinnedIMAP4(self._host, self._port, self._timeout, self._pinned)
        check_command_status(client.starttls(self._ssl_context), MailboxStarttlsError)
        return client


class _PinnedMailBoxUnencrypted(MailBoxUnencrypted):
    def __init__(self, host: str, port: int, *, timeout: float, pinned: str):
        self._pinned = pinned
        super().__init__(host, port, timeout=timeout)

    def _get_mailbox_client(self) -> imaplib.IMAP4:
        return _PinnedIMAP4(self._host, self._port, self._timeout, self._pinned)


def connect(server: ServerSettings, folder: str = "INBOX") -> BaseMailBox:
    """Log in to a mailbox's IMAP server (a checked destination: see sahayak.netguard)."""
    timeout = settings.SAHAYAK_SMTP_TIMEOUT
    pinned = vetted_address(server.host, server.port)
    kinds = {"ssl": _PinnedMailBox, "starttls": _PinnedMailBoxStartTls}
    factory = kinds.get(server.security, _PinnedMailBoxUnencrypted)
    mailbox: BaseMailBox = factory(server.host, server.port, timeout=timeout, pinned=pinned)
    return mailbox.login(server.username, server.password, initial_folder=folder)


def imap_settings(inbox: Inbox) -> ServerSettings | None:
    imap = inbox.config.get("imap")
    return server_from_config(imap) if isinstance(imap, dict) and imap.get("host") else None


def poll_mailbox(inbox: Inbox, *, batch_size: int = 25) -> PollReport:
    """Fetch and store everything new in ``inbox``'s IMAP folder, once."""
    server = imap_settings(inbox)
    if server is None:
        return PollReport(inbox.pk)
    with connect(server, inbox.config.get("imap_folder", "INBOX")) as mailbox:
        return drain(mailbox, inbox, batch_size=batch_size)


def drain(mailbox: BaseMailBox, inbox: Inbox, *, batch_size: int = 25) -> PollReport:
    report = PollReport(inbox.pk)
    uids = mailbox.uids(AND(no_keyword=[STORED, REJECTED]))
    for start in range(0, len(uids), batch_size):
        chunk = uids[start : start + batch_size]
        fetched = list(_fetch(mailbox, chunk))
        results = _store_batch(inbox, [raw for _uid, raw in fetched])
        stored, rejected = [], []
        for (uid, _raw), result in zip(fetched, results, strict=True):
            report.add(result)
            if isinstance(result, IngestOutcome):
                stored.append(uid)
            elif isinstance(result, MailRejected):
                logger.warning("imap %s: message uid %s rejected: %s", inbox.pk, uid, result.reason)
                rejected.append(uid)
        _mark_stored(mailbox, inbox, stored)
        if rejected:
            mailbox.flag(rejected, REJECTED, True)
    return report


def _store_batch(inbox: Inbox, raws: list[bytes]) -> list[IngestOutcome | Exception]:
    """One transaction for the batch; if the batch as a whole fails, each message alone, so
    that one message that trips an unexpected error does not hold back the others."""
    try:
        return ingest_many(raws, inbox=inbox)
    except Exception:
        logger.exception("imap %s: batch failed; storing its messages one by one", inbox.pk)
    results: list[IngestOutcome | Exception] = []
    for raw in raws:
        try:
            results.append(ingest(raw, inbox=inbox))
        except Exception as exc:  # temporary (or a bug): left unmarked for the next round
            if not isinstance(exc, MailRejected | MailDeferred):
                logger.exception("imap %s: a message could not be stored", inbox.pk)
            results.append(exc)
    return results


def _fetch(mailbox: BaseMailBox, uids: list[str]) -> Iterator[tuple[str, bytes]]:
    """Raw bytes by UID, without setting \\Seen (BODY.PEEK)."""
    typ, data = mailbox.client.uid("FETCH", ",".join(uids), "(BODY.PEEK[])")
    if typ != "OK":
        raise ConnectionError(f"IMAP FETCH failed: {typ}")
    for item in data:
        if isinstance(item, tuple) and len(item) >= 2:
            match = _UID.search(item[0])
            if match:
                yield match.group(1).decode(), bytes(item[1])


def _mark_stored(mailbox: BaseMailBox, inbox: Inbox, uids: list[str]) -> None:
    if not uids:
        return
    mailbox.flag(uids, [STORED, "\\Seen"], True)
    if inbox.config.get("imap_after") == "move":
        folder = inbox.config.get("imap_move_to") or "Sahayak"
        if not mailbox.folder.exists(folder):
            mailbox.folder.create(folder)
        mailbox.move(uids, folder)


def _fingerprint(inbox: Inbox) -> str:
    relevant = {k: v for k, v in inbox.config.items() if k.startswith("imap")}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()


def watch(inbox_id: int, stop: threading.Event) -> None:
    """Keep one mailbox drained until ``stop`` or until its settings change."""
    delay = 1.0
    interval = settings.SAHAYAK_IMAP_INTERVAL
    while not stop.is_set():
        try:
            inbox = Inbox.objects.filter(pk=inbox_id, is_active=True, channel=CHANNEL).first()
            server = imap_settings(inbox) if inbox else None
            if inbox is None or server is None:
                return
            fingerprint = _fingerprint(inbox)
            with connect(server, inbox.config.get("imap_folder", "INBOX")) as mailbox:
                delay = 1.0
                idle = "IDLE" in mailbox.client.capabilities
                while not stop.is_set():
                    report = drain(mailbox, inbox)
                    if report.stored or report.rejected:
                        logger.info("imap %s: %s", inbox_id, report)
                    close_old_connections()
                    if idle:
                        mailbox.idle.wait(timeout=min(interval, 300))
                    else:
                        stop.wait(interval)
                    inbox.refresh_from_db()
                    if not inbox.is_active or _fingerprint(inbox) != fingerprint:
                        break  # reconnect with the new settings (or stop)
        except Exception as exc:
            logger.warning("imap %s: %s; reconnecting in %.0f s", inbox_id, exc, delay)
            stop.wait(delay)
            delay = min(delay * 2, 300.0)
        finally:
            close_old_connections()


def run(stop: threading.Event, only: list[int] | None = None, rescan: float = 30.0) -> None:
    """One watcher thread per mailbox with IMAP settings; new mailboxes are picked up.
    A database outage is waited out with backoff: the fetcher never exits on it."""
    threads: dict[int, threading.Thread] = {}
    delay = 1.0
    while not stop.is_set():
        try:
            inboxes = Inbox.objects.filter(channel=CHANNEL, is_active=True)
            if only:
                inboxes = inboxes.filter(pk__in=only)
            for inbox in inboxes:
                alive = threads.get(inbox.pk)
                if imap_settings(inbox) is None or (alive is not None and alive.is_alive()):
                    continue
                thread = threading.Thread(
                    target=watch, args=(inbox.pk, stop), name=f"imap-{inbox.pk}", daemon=True
                )
                thread.start()
                threads[inbox.pk] = thread
            heartbeat.beat("fetchmail")
            delay = 1.0
            wait = rescan
        except DatabaseError as exc:
            logger.warning("fetchmail: database unavailable (%s); retrying in %.0f s", exc, delay)
            connection.close()  # a connection the outage broke is not used again
            wait, delay = delay, min(delay * 2, 30.0)
        finally:
            close_old_connections()
        stop.wait(wait)
