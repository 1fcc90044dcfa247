"""Mailboxes are inboxes of channel ``email``: their addresses, IMAP and SMTP settings.

One service saves them for the workspace's settings page and the API alike, and one
lookup maps a recipient address (with or without a ``+tag``) to its inbox.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from sahayak.accounts.models import Team
from sahayak.conversations.models import Inbox

from .thread_ids import split_plus

CHANNEL = "email"
SECURITY = ("ssl", "starttls", "none")


@dataclass
class ServerSettings:
    host: str
    port: int
    security: str = "ssl"
    username: str = ""
    password: str = ""
    # Mailbox servers are set by supervisors: connect only to public addresses (see
    # sahayak.netguard). The relay in SAHAYAK_SMTP_URL is the operator's and is trusted.
    check_destination: bool = True


def server_from_config(stored: dict[str, Any]) -> ServerSettings:
    """A mailbox's stored server settings; the destination check cannot be switched off
    from stored settings (only the operator's SAHAYAK_SMTP_URL is trusted)."""
    known = {"host", "port", "security", "username", "password"}
    return ServerSettings(**{k: v for k, v in stored.items() if k in known})


@dataclass
class MailboxSettings:
    name: str
    address: str
    aliases: list[str] = field(default_factory=list)
    from_name: str = ""
    team_id: int | None = None
    on_closed: str = "reopen"  # or "new": a new conversation linked to the closed one
    auto_reply: bool = False
    subject_threading: bool = True
    subject_window_days: int = 7
    language: str = ""  # for customers whose language cannot be told ("" = the site's)
    imap: ServerSettings | None = None
    imap_folder: str = "INBOX"
    imap_after: str = "flag"  # or "move"
    imap_move_to: str = "Sahayak"
    smtp: ServerSettings | None = None
    is_active: bool = True


class MailboxError(ValueError):
    pass


def _check_server(server: ServerSettings | None, what: str) -> None:
    if server is None:
        return
    if not server.host.strip():
        raise MailboxError(_("%(what)s needs a host.") % {"what": what})
    if not 0 < server.port < 65536:
        raise MailboxError(_("%(what)s port must be between 1 and 65535.") % {"what": what})
    if server.security not in SECURITY:
        raise MailboxError(_("Unknown connection security: %(s)s") % {"s": server.security})


def _clean_address(value: str) -> str:
    address = value.strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        raise MailboxError(_("%(a)s is not an email address.") % {"a": value}) from None
    if "+" in address.partition("@")[0]:
        raise MailboxError(_("A mailbox address cannot contain '+'; it is used for replies."))
    return address


def validate(settings: MailboxSettings, *, inbox_id: int | None = None) -> MailboxSettings:
    if not settings.name.strip():
        raise MailboxError(_("A mailbox needs a name."))
    settings.address = _clean_address(settings.address)
    settings.aliases = [_clean_address(a) for a in settings.aliases if a.strip()]
    if settings.on_closed not in ("reopen", "new"):
        raise MailboxError(_("A reply to a closed conversation must reopen it or start a new one."))
    if settings.imap_after not in ("flag", "move"):
        raise MailboxError(_("After storing, an IMAP message is flagged or moved."))
    if not 0 < settings.subject_window_days <= 365:
        raise MailboxError(_("The subject window is 1 to 365 days."))
    if settings.language and settings.language not in dict(django_settings.LANGUAGES):
        raise MailboxError(_("Unknown language: %(code)s") % {"code": settings.language})
    _check_server(settings.imap, "IMAP")
    _check_server(settings.smtp, "SMTP")
    if settings.team_id is not None and not Team.objects.filter(pk=settings.team_id).exists():
        raise MailboxError(_("No such team."))
    taken = addresses_in_use(exclude=inbox_id)
    for address in [settings.address, *settings.aliases]:
        if address in taken:
            raise MailboxError(_("%(a)s already belongs to another mailbox.") % {"a": address})
    return settings


def addresses_in_use(exclude: int | None = None) -> set[str]:
    used: set[str] = set()
    for pk, config in Inbox.objects.filter(channel=CHANNEL).values_list("pk", "config"):
        if pk != exclude:
            used.update(_addresses_of(config))
    return used


def _addresses_of(config: dict[str, Any]) -> list[str]:
    return [a for a in [config.get("address", ""), *config.get("aliases", [])] if a]


def settings_of(inbox: Inbox) -> MailboxSettings:
    config = dict(inbox.config)
    imap = config.pop("imap", None)
    smtp = config.pop("smtp", None)
    known = {f for f in MailboxSettings.__dataclass_fields__ if f not in ("imap", "smtp")}
    # An email inbox made elsewhere (the admin, an import) may not have an address yet.
    values = {"address": "", **{k: v for k, v in config.items() if k in known}}
    return MailboxSettings(
        **{**values, "name": inbox.name, "team_id": inbox.team_id, "is_active": inbox.is_active},
        imap=server_from_config(imap) if imap else None,
        smtp=server_from_config(smtp) if smtp else None,
    )


@transaction.atomic
def save_mailbox(
    settings: MailboxSettings, inbox: Inbox | None = None, *, actor: Any = None
) -> Inbox:
    """Create or update an email inbox; passwords left empty keep the stored ones. The
    change goes to the audit log (which settings changed, never a password)."""
    settings = validate(settings, inbox_id=inbox.pk if inbox else None)
    created = inbox is None
    before = _audit_view(inbox.config, inbox.name) if inbox else {}
    previous = settings_of(inbox) if inbox else None
    for kind in ("imap", "smtp"):
        server = getattr(settings, kind)
        old = getattr(previous, kind, None) if previous else None
        if server is not None and not server.password and old is not None:
            server.password = old.password
    config = asdict(settings)
    for key in ("name", "team_id", "is_active"):
        config.pop(key)
    for kind in ("imap", "smtp"):
        if config.get(kind):
            config[kind].pop("check_destination", None)  # never stored: always checked
    if inbox is None:
        inbox = Inbox(channel=CHANNEL)
    inbox.name = settings.name.strip()
    inbox.team_id = settings.team_id
    inbox.is_active = settings.is_active
    inbox.config = {k: v for k, v in config.items() if v is not None}
    inbox.save()
    forget_addresses()
    after = _audit_view(inbox.config, inbox.name)
    changed = sorted(
        key for key in after.keys() | before.keys() if after.get(key) != before.get(key)
    )
    if changed:
        from sahayak.accounts.services import record_audit

        record_audit(
            actor=actor,
            action="mailbox.created" if created else "mailbox.changed",
            obj=inbox,
            data={"changed": changed},
        )
    return inbox


def _audit_view(config: dict[str, Any], name: str) -> dict[str, Any]:
    """The settings flattened for comparing; a password shows as a fingerprint only."""
    flat: dict[str, Any] = {"name": name}
    for key, value in (config or {}).items():
        if isinstance(value, dict):
            for inner, item in value.items():
                if inner == "password":
                    item = hashlib.sha256(str(item).encode()).hexdigest()[:12] if item else ""
                flat[f"{key}.{inner}"] = item
        else:
            flat[key] = value
    return flat


class _AddressBook:
    """Recipient address -> inbox id, reloaded on a miss and every ``ttl`` seconds."""

    def __init__(self, ttl: float = 30.0):
        self.ttl = ttl
        self.lock = threading.Lock()
        self.by_address: dict[str, int] = {}
        self.loaded_at = 0.0

    def _load(self) -> None:
        mapping: dict[str, int] = {}
        rows = Inbox.objects.filter(channel=CHANNEL, is_active=True).values_list("pk", "config")
        for pk, config in rows.order_by("pk"):
            for address in _addresses_of(config):
                mapping.setdefault(address.lower(), pk)
        self.by_address = mapping
        self.loaded_at = time.monotonic()

    def lookup(self, address: str) -> int | None:
        with self.lock:
            if time.monotonic() - self.loaded_at > self.ttl:
                self._load()
            found = self.by_address.get(address)
            if found is None:
                self._load()  # a mailbox added a moment ago in another process
                found = self.by_address.get(address)
            return found

    def clear(self) -> None:
        with self.lock:
            self.loaded_at = 0.0


_book = _AddressBook()


def forget_addresses() -> None:
    _book.clear()


def inbox_for_address(address: str) -> tuple[Inbox, str] | None:
    """The inbox receiving at ``address`` and the ``+tag`` it carried (a reply token)."""
    base, tag = split_plus(address)
    pk = _book.lookup(base)
    if pk is None:
        return None
    inbox = Inbox.objects.filter(pk=pk, is_active=True).first()
    return (inbox, tag) if inbox else None
